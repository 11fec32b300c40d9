; chunk sl_pol_in0 in sl_pol_jump slot 1024: 44 instructions
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
13: goto +6 <20>
body:
pos_0:
14: w1 = 1
15: goto +0 <16>
decide_1_4294967295:
16: *(u32 *)(r7 + 24) = 1
17: *(u32 *)(r7 + 28) = r1
18: *(u32 *)(r7 + 32) = -1
19: goto +3 <23>
broken:
20: *(u32 *)(r7 + 24) = 2
21: *(u32 *)(r7 + 28) = -1
22: *(u32 *)(r7 + 32) = -1
done:
23: r1 = *(u32 *)(r7 + 28)
24: *(u32 *)(r10 - 4) = r1
25: r2 = r10
26: r2 += -4
27: r1 = map[sl_pol_hits] ll
29: call map_lookup_elem
30: if r0 == 0 goto +3 <34>
31: r1 = *(u64 *)(r0 + 0)
32: r1 += 1
33: *(u64 *)(r0 + 0) = r1
done_nohit:
34: r1 = r6
35: r2 = map[sl_pol_jump] ll
37: r3 = *(u32 *)(r7 + 36)
38: call tail_call
39: r1 = *(u32 *)(r7 + 24)
40: r0 = 2
41: if w1 != 1 goto +1 <43>
42: r0 = 0
ret:
43: exit
