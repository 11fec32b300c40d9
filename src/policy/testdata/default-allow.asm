; chunk sl_pol_in0 in sl_pol_jump slot 1024: 43 instructions
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
12: if w1 == 0 goto +1 <14>
13: goto +5 <19>
body:
pos_0:
14: *(u32 *)(r7 + 28) = 1
15: goto +0 <16>
decide_1_4294967295:
16: *(u32 *)(r7 + 24) = 1
17: *(u32 *)(r7 + 32) = -1
18: goto +3 <22>
broken:
19: *(u32 *)(r7 + 24) = 2
20: *(u32 *)(r7 + 28) = -1
21: *(u32 *)(r7 + 32) = -1
done:
22: r1 = *(u32 *)(r7 + 28)
23: *(u32 *)(r10 - 4) = r1
24: r2 = r10
25: r2 += -4
26: r1 = map[sl_pol_hits] ll
28: call map_lookup_elem
29: if r0 == 0 goto +3 <33>
30: r1 = *(u64 *)(r0 + 0)
31: r1 += 1
32: *(u64 *)(r0 + 0) = r1
done_nohit:
33: r1 = r6
34: r2 = map[sl_pol_jump] ll
36: r3 = *(u32 *)(r7 + 36)
37: call tail_call
38: r1 = *(u32 *)(r7 + 24)
39: r0 = 2
40: if w1 != 1 goto +1 <42>
41: r0 = 0
ret:
42: exit
