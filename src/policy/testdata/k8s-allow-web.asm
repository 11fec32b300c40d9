; chunk sl_pol_in0 in sl_pol_jump slot 1024: 95 instructions
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
11: r1 = *(u32 *)(r7 + 20)
12: if w1 == 0 goto +2 <15>
13: if w1 == 1 goto +43 <57>
14: goto +56 <71>
body:
pos_0:
15: r1 = *(u8 *)(r7 + 12)
16: if w1 != 6 goto +19 <36>
17: r1 = *(u32 *)(r7 + 16)
18: w1 &= 1
19: if w1 == 0 goto +16 <36>
20: r1 = *(u16 *)(r7 + 10)
21: if w1 < 80 goto +14 <36>
22: if w1 > 81 goto +13 <36>
23: *(u32 *)(r10 - 16) = 88
24: *(u32 *)(r10 - 12) = 7
25: r1 = *(u32 *)(r7 + 0)
26: *(u32 *)(r10 - 8) = r1
27: *(u32 *)(r10 - 4) = 0
28: r1 = map[sl_ipsets] ll
30: r2 = r10
31: r2 += -16
32: call map_lookup_elem
33: if r0 == 0 goto +2 <36>
34: w1 = 10
35: goto +23 <59>
i0_next:
36: r1 = *(u8 *)(r7 + 12)
37: if w1 != 17 goto +17 <55>
38: r1 = *(u32 *)(r7 + 0)
39: r2 = r1
40: w2 &= 65279
41: if w2 != 4806 goto +13 <55>
42: r1 = *(u32 *)(r7 + 0)
43: r2 = r1
44: w2 &= 16777215
45: if w2 == 4330182 goto +9 <55>
46: r1 = *(u32 *)(r7 + 16)
47: w1 &= 1
48: if w1 == 0 goto +6 <55>
49: r1 = *(u16 *)(r7 + 10)
50: if w1 == 53 goto +2 <53>
51: if w1 == 5353 goto +1 <53>
52: goto +2 <55>
i1_dp:
53: w1 = 11
54: goto +4 <59>
i1_next:
55: w1 = 2
56: goto +6 <63>
pos_1:
57: w1 = 1
58: goto +8 <67>
decide_1_0:
59: *(u32 *)(r7 + 24) = 1
60: *(u32 *)(r7 + 28) = r1
61: *(u32 *)(r7 + 32) = 0
62: goto +11 <74>
decide_2_0:
63: *(u32 *)(r7 + 24) = 2
64: *(u32 *)(r7 + 28) = r1
65: *(u32 *)(r7 + 32) = 0
66: goto +7 <74>
decide_1_4294967295:
67: *(u32 *)(r7 + 24) = 1
68: *(u32 *)(r7 + 28) = r1
69: *(u32 *)(r7 + 32) = -1
70: goto +3 <74>
broken:
71: *(u32 *)(r7 + 24) = 2
72: *(u32 *)(r7 + 28) = -1
73: *(u32 *)(r7 + 32) = -1
done:
74: r1 = *(u32 *)(r7 + 28)
75: *(u32 *)(r10 - 4) = r1
76: r2 = r10
77: r2 += -4
78: r1 = map[sl_pol_hits] ll
80: call map_lookup_elem
81: if r0 == 0 goto +3 <85>
82: r1 = *(u64 *)(r0 + 0)
83: r1 += 1
84: *(u64 *)(r0 + 0) = r1
done_nohit:
85: r1 = r6
86: r2 = map[sl_pol_jump] ll
88: r3 = *(u32 *)(r7 + 36)
89: call tail_call
90: r1 = *(u32 *)(r7 + 24)
91: r0 = 2
92: if w1 != 1 goto +1 <94>
93: r0 = 0
ret:
94: exit
