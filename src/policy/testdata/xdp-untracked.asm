; chunk sl_pol_xin0 in sl_pol_jump_xdp slot 1024: 71 instructions
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
17: *(u32 *)(r7 + 32) = r1
18: r1 = *(u32 *)(r7 + 20)
19: if w1 == 0 goto +2 <22>
20: if w1 == 1 goto +15 <36>
21: goto +25 <47>
body:
pos_0:
22: r1 = *(u8 *)(r7 + 12)
23: if w1 != 17 goto +5 <29>
24: r1 = *(u32 *)(r7 + 0)
25: w1 &= 16777215
26: if w1 != 594630 goto +2 <29>
27: *(u32 *)(r7 + 28) = 40
28: goto +9 <38>
i0_next:
29: r1 = *(u8 *)(r7 + 12)
30: if w1 != 6 goto +4 <35>
31: r1 = *(u32 *)(r7 + 32)
32: if w1 != 8080 goto +2 <35>
33: *(u32 *)(r7 + 28) = 41
34: goto +6 <41>
i1_next:
35: goto +0 <36>
i2_next:
pos_1:
36: *(u32 *)(r7 + 28) = 1
37: goto +6 <44>
decide_2_0:
38: *(u32 *)(r7 + 24) = 2
39: *(u32 *)(r7 + 32) = 0
40: goto +9 <50>
decide_1_0:
41: *(u32 *)(r7 + 24) = 1
42: *(u32 *)(r7 + 32) = 0
43: goto +6 <50>
decide_1_4294967295:
44: *(u32 *)(r7 + 24) = 1
45: *(u32 *)(r7 + 32) = -1
46: goto +3 <50>
broken:
47: *(u32 *)(r7 + 24) = 2
48: *(u32 *)(r7 + 28) = -1
49: *(u32 *)(r7 + 32) = -1
done:
50: r1 = *(u32 *)(r7 + 28)
51: *(u32 *)(r10 - 4) = r1
52: r2 = r10
53: r2 += -4
54: r1 = map[sl_pol_hits] ll
56: call map_lookup_elem
57: if r0 == 0 goto +3 <61>
58: r1 = *(u64 *)(r0 + 0)
59: r1 += 1
60: *(u64 *)(r0 + 0) = r1
done_nohit:
61: r1 = r6
62: r2 = map[sl_pol_jump_xdp] ll
64: r3 = *(u32 *)(r7 + 36)
65: call tail_call
66: r1 = *(u32 *)(r7 + 24)
67: r0 = 1
68: if w1 != 1 goto +1 <70>
69: r0 = 2
ret:
70: exit
