; chunk sl_pol_xin0 in sl_pol_jump_xdp slot 1024: 73 instructions
 0: r6 = r1
 1: *(u32 *)(r10 - 4) = 0
 2: r2 = r10
 3: r2 += -4
 4: r1 = map[sl_pol_state] ll
 6: call map_lookup_elem
 7: if r0 != 0 goto +2 <10>
 8: r0 = 1
 9: exit
have_state:
10: r7 = r0
11: r1 = *(u32 *)(r7 + 16)
12: w1 &= 1
13: w1 ^= 1
14: w1 <<= 16
15: r2 = *(u16 *)(r7 + 10)
16: w1 |= w2
17: r2 = *(u8 *)(r7 + 12)
18: w2 <<= 17
19: w1 |= w2
20: *(u32 *)(r7 + 32) = r1
21: r1 = *(u32 *)(r7 + 20)
22: if w1 == 0 goto +2 <25>
23: if w1 == 1 goto +14 <38>
24: goto +24 <49>
body:
pos_0:
25: r1 = *(u8 *)(r7 + 12)
26: if w1 != 17 goto +5 <32>
27: r1 = *(u32 *)(r7 + 0)
28: w1 &= 16777215
29: if w1 != 594630 goto +2 <32>
30: *(u32 *)(r7 + 28) = 40
31: goto +8 <40>
i0_next:
32: r1 = *(u32 *)(r7 + 32)
33: w1 -= 794512
34: if w1 > 0 goto +2 <37>
35: *(u32 *)(r7 + 28) = 41
36: goto +6 <43>
i1_next:
37: goto +0 <38>
i2_next:
pos_1:
38: *(u32 *)(r7 + 28) = 1
39: goto +6 <46>
decide_2_0:
40: *(u32 *)(r7 + 24) = 2
41: *(u32 *)(r7 + 32) = 0
42: goto +9 <52>
decide_1_0:
43: *(u32 *)(r7 + 24) = 1
44: *(u32 *)(r7 + 32) = 0
45: goto +6 <52>
decide_1_4294967295:
46: *(u32 *)(r7 + 24) = 1
47: *(u32 *)(r7 + 32) = -1
48: goto +3 <52>
broken:
49: *(u32 *)(r7 + 24) = 2
50: *(u32 *)(r7 + 28) = -1
51: *(u32 *)(r7 + 32) = -1
done:
52: r1 = *(u32 *)(r7 + 28)
53: *(u32 *)(r10 - 4) = r1
54: r2 = r10
55: r2 += -4
56: r1 = map[sl_pol_hits] ll
58: call map_lookup_elem
59: if r0 == 0 goto +3 <63>
60: r1 = *(u64 *)(r0 + 0)
61: r1 += 1
62: *(u64 *)(r0 + 0) = r1
done_nohit:
63: r1 = r6
64: r2 = map[sl_pol_jump_xdp] ll
66: r3 = *(u32 *)(r7 + 36)
67: call tail_call
68: r1 = *(u32 *)(r7 + 24)
69: r0 = 1
70: if w1 != 1 goto +1 <72>
71: r0 = 2
ret:
72: exit
