; chunk sl_pol_in0 in sl_pol_jump slot 1024: 93 instructions
 0: r6 = r1
 1: *(u32 *)(r10 - 4) = 0
 2: r2 = r10
 3: r2 += -4
 4: r1 = map[sl_pol_state] ll
 6: call map_lookup_elem
 7: if r0 != 0 goto +2 <10>
 8: r0 = 2
 9: exit
have_state:
10: r7 = r0
11: r1 = *(u32 *)(r7 + 16)
12: w1 &= 1
13: w1 ^= 1
14: w1 <<= 16
15: r2 = *(u16 *)(r7 + 10)
16: w1 |= w2
17: *(u32 *)(r7 + 32) = r1
18: r1 = *(u32 *)(r7 + 20)
19: if w1 == 0 goto +2 <22>
20: if w1 == 1 goto +37 <58>
21: goto +47 <69>
body:
pos_0:
22: r1 = *(u8 *)(r7 + 12)
23: if w1 != 6 goto +16 <40>
24: r1 = *(u32 *)(r7 + 32)
25: if w1 < 80 goto +14 <40>
26: if w1 > 81 goto +13 <40>
27: *(u32 *)(r10 - 16) = 88
28: *(u32 *)(r10 - 12) = 7
29: r1 = *(u32 *)(r7 + 0)
30: *(u32 *)(r10 - 8) = r1
31: *(u32 *)(r10 - 4) = 0
32: r1 = map[sl_ipsets] ll
34: r2 = r10
35: r2 += -16
36: call map_lookup_elem
37: if r0 == 0 goto +2 <40>
38: *(u32 *)(r7 + 28) = 10
39: goto +20 <60>
i0_next:
40: r1 = *(u8 *)(r7 + 12)
41: if w1 != 17 goto +14 <56>
42: r1 = *(u32 *)(r7 + 0)
43: w1 &= 65279
44: if w1 != 4806 goto +11 <56>
45: r1 = *(u32 *)(r7 + 0)
46: r2 = r1
47: w2 &= 16777215
48: if w2 == 4330182 goto +7 <56>
49: r1 = *(u32 *)(r7 + 32)
50: if w1 >= 65536 goto +5 <56>
51: if w1 == 53 goto +2 <54>
52: if w1 == 5353 goto +1 <54>
53: goto +2 <56>
i1_dp:
54: *(u32 *)(r7 + 28) = 11
55: goto +4 <60>
i1_next:
56: *(u32 *)(r7 + 28) = 2
57: goto +5 <63>
pos_1:
58: *(u32 *)(r7 + 28) = 1
59: goto +6 <66>
decide_1_0:
60: *(u32 *)(r7 + 24) = 1
61: *(u32 *)(r7 + 32) = 0
62: goto +9 <72>
decide_2_0:
63: *(u32 *)(r7 + 24) = 2
64: *(u32 *)(r7 + 32) = 0
65: goto +6 <72>
decide_1_4294967295:
66: *(u32 *)(r7 + 24) = 1
67: *(u32 *)(r7 + 32) = -1
68: goto +3 <72>
broken:
69: *(u32 *)(r7 + 24) = 2
70: *(u32 *)(r7 + 28) = -1
71: *(u32 *)(r7 + 32) = -1
done:
72: r1 = *(u32 *)(r7 + 28)
73: *(u32 *)(r10 - 4) = r1
74: r2 = r10
75: r2 += -4
76: r1 = map[sl_pol_hits] ll
78: call map_lookup_elem
79: if r0 == 0 goto +3 <83>
80: r1 = *(u64 *)(r0 + 0)
81: r1 += 1
82: *(u64 *)(r0 + 0) = r1
done_nohit:
83: r1 = r6
84: r2 = map[sl_pol_jump] ll
86: r3 = *(u32 *)(r7 + 36)
87: call tail_call
88: r1 = *(u32 *)(r7 + 24)
89: r0 = 2
90: if w1 != 1 goto +1 <92>
91: r0 = 0
ret:
92: exit
