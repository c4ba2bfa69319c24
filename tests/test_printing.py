"""Printing: ``repr``/``str`` of tensors must match PyTorch 2.13 character for character.

The expected strings below were produced by PyTorch itself, so these tests need no PyTorch; the
fuzz test at the end compares against a live PyTorch when it is installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule
from chainrule import _tensor_str
from chainrule._tensor_str import tensor_repr

try:
    import torch as real_torch
except ImportError:  # the comparison test is skipped
    real_torch = None

# (expression, repr) pairs; the expressions run with ``torch`` bound to chainrule, the strings
# are PyTorch 2.13's output for the same expressions.
CASES = [
    ("torch.tensor([1., 2., 3.])",
     "tensor([1., 2., 3.])"),
    ("torch.tensor(3.)",
     "tensor(3.)"),
    ("torch.tensor(-0.5)",
     "tensor(-0.5000)"),
    ("torch.tensor([1, 2, 3])",
     "tensor([1, 2, 3])"),
    ("torch.tensor([1, -20, 300])",
     "tensor([  1, -20, 300])"),
    ("torch.tensor([[1, 20], [300, 4]])",
     "tensor([[  1,  20],\n"
     "        [300,   4]])"),
    ("torch.tensor([True, False])",
     "tensor([ True, False])"),
    ("torch.tensor(True)",
     "tensor(True)"),
    ("torch.tensor(7)",
     "tensor(7)"),
    ("torch.tensor([0.1, 0.25, 1.5])",
     "tensor([0.1000, 0.2500, 1.5000])"),
    ("torch.tensor([1e-5, 1.])",
     "tensor([1.0000e-05, 1.0000e+00])"),
    ("torch.tensor([1e10, 1.])",
     "tensor([1.0000e+10, 1.0000e+00])"),
    ("torch.tensor([1., 1001.])",
     "tensor([1.0000e+00, 1.0010e+03])"),
    ("torch.tensor([1., 999.])",
     "tensor([  1., 999.])"),
    ("torch.tensor([123456789., 1.])",
     "tensor([1.2346e+08, 1.0000e+00])"),
    ("torch.tensor([1e-8, 1.])",
     "tensor([1.0000e-08, 1.0000e+00])"),
    ("torch.tensor([2e8, 3.])",
     "tensor([2.0000e+08, 3.0000e+00])"),
    ("torch.tensor([1., -2., 300.])",
     "tensor([  1.,  -2., 300.])"),
    ("torch.tensor([1e5, 2.])",
     "tensor([1.0000e+05, 2.0000e+00])"),
    ("torch.tensor([0.00012, 0.5])",
     "tensor([1.2000e-04, 5.0000e-01])"),
    ("torch.tensor([9.99996, 1.])",
     "tensor([10.0000,  1.0000])"),
    ("torch.tensor([99999.5, 0.5])",
     "tensor([1.0000e+05, 5.0000e-01])"),
    ("torch.tensor([float('nan'), 1., float('inf'), -float('inf')])",
     "tensor([nan, 1., inf, -inf])"),
    ("torch.tensor([float('nan'), float('inf')])",
     "tensor([nan, inf])"),
    ("torch.tensor([float('nan'), 1.5])",
     "tensor([   nan, 1.5000])"),
    ("torch.tensor([[float('nan')]])",
     "tensor([[nan]])"),
    ("torch.tensor([-0., 0., 1.])",
     "tensor([-0., 0., 1.])"),
    ("torch.tensor([-0., 0.])",
     "tensor([-0., 0.])"),
    ("torch.tensor(-0.)",
     "tensor(-0.)"),
    ("torch.tensor([1.5, 2.], dtype=torch.float64)",
     "tensor([1.5000, 2.0000], dtype=torch.float64)"),
    ("torch.tensor(2.5, dtype=torch.float64)",
     "tensor(2.5000, dtype=torch.float64)"),
    ("torch.tensor([1, 2], dtype=torch.int32)",
     "tensor([1, 2], dtype=torch.int32)"),
    ("torch.tensor([1, 2], dtype=torch.uint8)",
     "tensor([1, 2], dtype=torch.uint8)"),
    ("torch.tensor([-1, 2], dtype=torch.int8)",
     "tensor([-1,  2], dtype=torch.int8)"),
    ("torch.tensor([1, 2], dtype=torch.int16)",
     "tensor([1, 2], dtype=torch.int16)"),
    ("torch.tensor([1.5, 2.], dtype=torch.float16)",
     "tensor([1.5000, 2.0000], dtype=torch.float16)"),
    ("torch.tensor([2**62, -2**62])",
     "tensor([ 4611686018427387904, -4611686018427387904])"),
    ("torch.tensor([[1.5, -2.], [3., 4.25]])",
     "tensor([[ 1.5000, -2.0000],\n"
     "        [ 3.0000,  4.2500]])"),
    ("torch.from_numpy(np.linspace(-1, 1, 24, dtype=np.float32).reshape(2, 3, 4))",
     "tensor([[[-1.0000, -0.9130, -0.8261, -0.7391],\n"
     "         [-0.6522, -0.5652, -0.4783, -0.3913],\n"
     "         [-0.3043, -0.2174, -0.1304, -0.0435]],\n"
     "\n"
     "        [[ 0.0435,  0.1304,  0.2174,  0.3043],\n"
     "         [ 0.3913,  0.4783,  0.5652,  0.6522],\n"
     "         [ 0.7391,  0.8261,  0.9130,  1.0000]]])"),
    ("torch.from_numpy(np.linspace(-5, 5, 24).reshape(2, 2, 2, 3))",
     "tensor([[[[-5.0000, -4.5652, -4.1304],\n"
     "          [-3.6957, -3.2609, -2.8261]],\n"
     "\n"
     "         [[-2.3913, -1.9565, -1.5217],\n"
     "          [-1.0870, -0.6522, -0.2174]]],\n"
     "\n"
     "\n"
     "        [[[ 0.2174,  0.6522,  1.0870],\n"
     "          [ 1.5217,  1.9565,  2.3913]],\n"
     "\n"
     "         [[ 2.8261,  3.2609,  3.6957],\n"
     "          [ 4.1304,  4.5652,  5.0000]]]], dtype=torch.float64)"),
    ("torch.from_numpy(np.logspace(-5, 5, 11, dtype=np.float32))",
     "tensor([1.0000e-05, 1.0000e-04, 1.0000e-03, 1.0000e-02, 1.0000e-01, 1.0000e+00,\n"
     "        1.0000e+01, 1.0000e+02, 1.0000e+03, 1.0000e+04, 1.0000e+05])"),
    ("torch.from_numpy(np.linspace(0, 3, 30, dtype=np.float32))",
     "tensor([0.0000, 0.1034, 0.2069, 0.3103, 0.4138, 0.5172, 0.6207, 0.7241, 0.8276,\n"
     "        0.9310, 1.0345, 1.1379, 1.2414, 1.3448, 1.4483, 1.5517, 1.6552, 1.7586,\n"
     "        1.8621, 1.9655, 2.0690, 2.1724, 2.2759, 2.3793, 2.4828, 2.5862, 2.6897,\n"
     "        2.7931, 2.8966, 3.0000])"),
    ("torch.arange(30)",
     "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
     "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])"),
    ("torch.from_numpy(np.arange(100).reshape(10, 10) * 13)",
     "tensor([[   0,   13,   26,   39,   52,   65,   78,   91,  104,  117],\n"
     "        [ 130,  143,  156,  169,  182,  195,  208,  221,  234,  247],\n"
     "        [ 260,  273,  286,  299,  312,  325,  338,  351,  364,  377],\n"
     "        [ 390,  403,  416,  429,  442,  455,  468,  481,  494,  507],\n"
     "        [ 520,  533,  546,  559,  572,  585,  598,  611,  624,  637],\n"
     "        [ 650,  663,  676,  689,  702,  715,  728,  741,  754,  767],\n"
     "        [ 780,  793,  806,  819,  832,  845,  858,  871,  884,  897],\n"
     "        [ 910,  923,  936,  949,  962,  975,  988, 1001, 1014, 1027],\n"
     "        [1040, 1053, 1066, 1079, 1092, 1105, 1118, 1131, 1144, 1157],\n"
     "        [1170, 1183, 1196, 1209, 1222, 1235, 1248, 1261, 1274, 1287]])"),
    ("torch.arange(2000)",
     "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    ("torch.from_numpy(np.arange(2000, dtype=np.float32) / 7)",
     "tensor([0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 2.8529e+02, 2.8543e+02,\n"
     "        2.8557e+02])"),
    ("torch.from_numpy(np.arange(1200.).reshape(40, 30))",
     "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 2.7000e+01, 2.8000e+01,\n"
     "         2.9000e+01],\n"
     "        [3.0000e+01, 3.1000e+01, 3.2000e+01,  ..., 5.7000e+01, 5.8000e+01,\n"
     "         5.9000e+01],\n"
     "        [6.0000e+01, 6.1000e+01, 6.2000e+01,  ..., 8.7000e+01, 8.8000e+01,\n"
     "         8.9000e+01],\n"
     "        ...,\n"
     "        [1.1100e+03, 1.1110e+03, 1.1120e+03,  ..., 1.1370e+03, 1.1380e+03,\n"
     "         1.1390e+03],\n"
     "        [1.1400e+03, 1.1410e+03, 1.1420e+03,  ..., 1.1670e+03, 1.1680e+03,\n"
     "         1.1690e+03],\n"
     "        [1.1700e+03, 1.1710e+03, 1.1720e+03,  ..., 1.1970e+03, 1.1980e+03,\n"
     "         1.1990e+03]], dtype=torch.float64)"),
    ("torch.from_numpy(np.arange(1331, dtype=np.float32).reshape(11, 11, 11))",
     "tensor([[[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 8.0000e+00,\n"
     "          9.0000e+00, 1.0000e+01],\n"
     "         [1.1000e+01, 1.2000e+01, 1.3000e+01,  ..., 1.9000e+01,\n"
     "          2.0000e+01, 2.1000e+01],\n"
     "         [2.2000e+01, 2.3000e+01, 2.4000e+01,  ..., 3.0000e+01,\n"
     "          3.1000e+01, 3.2000e+01],\n"
     "         ...,\n"
     "         [8.8000e+01, 8.9000e+01, 9.0000e+01,  ..., 9.6000e+01,\n"
     "          9.7000e+01, 9.8000e+01],\n"
     "         [9.9000e+01, 1.0000e+02, 1.0100e+02,  ..., 1.0700e+02,\n"
     "          1.0800e+02, 1.0900e+02],\n"
     "         [1.1000e+02, 1.1100e+02, 1.1200e+02,  ..., 1.1800e+02,\n"
     "          1.1900e+02, 1.2000e+02]],\n"
     "\n"
     "        [[1.2100e+02, 1.2200e+02, 1.2300e+02,  ..., 1.2900e+02,\n"
     "          1.3000e+02, 1.3100e+02],\n"
     "         [1.3200e+02, 1.3300e+02, 1.3400e+02,  ..., 1.4000e+02,\n"
     "          1.4100e+02, 1.4200e+02],\n"
     "         [1.4300e+02, 1.4400e+02, 1.4500e+02,  ..., 1.5100e+02,\n"
     "          1.5200e+02, 1.5300e+02],\n"
     "         ...,\n"
     "         [2.0900e+02, 2.1000e+02, 2.1100e+02,  ..., 2.1700e+02,\n"
     "          2.1800e+02, 2.1900e+02],\n"
     "         [2.2000e+02, 2.2100e+02, 2.2200e+02,  ..., 2.2800e+02,\n"
     "          2.2900e+02, 2.3000e+02],\n"
     "         [2.3100e+02, 2.3200e+02, 2.3300e+02,  ..., 2.3900e+02,\n"
     "          2.4000e+02, 2.4100e+02]],\n"
     "\n"
     "        [[2.4200e+02, 2.4300e+02, 2.4400e+02,  ..., 2.5000e+02,\n"
     "          2.5100e+02, 2.5200e+02],\n"
     "         [2.5300e+02, 2.5400e+02, 2.5500e+02,  ..., 2.6100e+02,\n"
     "          2.6200e+02, 2.6300e+02],\n"
     "         [2.6400e+02, 2.6500e+02, 2.6600e+02,  ..., 2.7200e+02,\n"
     "          2.7300e+02, 2.7400e+02],\n"
     "         ...,\n"
     "         [3.3000e+02, 3.3100e+02, 3.3200e+02,  ..., 3.3800e+02,\n"
     "          3.3900e+02, 3.4000e+02],\n"
     "         [3.4100e+02, 3.4200e+02, 3.4300e+02,  ..., 3.4900e+02,\n"
     "          3.5000e+02, 3.5100e+02],\n"
     "         [3.5200e+02, 3.5300e+02, 3.5400e+02,  ..., 3.6000e+02,\n"
     "          3.6100e+02, 3.6200e+02]],\n"
     "\n"
     "        ...,\n"
     "\n"
     "        [[9.6800e+02, 9.6900e+02, 9.7000e+02,  ..., 9.7600e+02,\n"
     "          9.7700e+02, 9.7800e+02],\n"
     "         [9.7900e+02, 9.8000e+02, 9.8100e+02,  ..., 9.8700e+02,\n"
     "          9.8800e+02, 9.8900e+02],\n"
     "         [9.9000e+02, 9.9100e+02, 9.9200e+02,  ..., 9.9800e+02,\n"
     "          9.9900e+02, 1.0000e+03],\n"
     "         ...,\n"
     "         [1.0560e+03, 1.0570e+03, 1.0580e+03,  ..., 1.0640e+03,\n"
     "          1.0650e+03, 1.0660e+03],\n"
     "         [1.0670e+03, 1.0680e+03, 1.0690e+03,  ..., 1.0750e+03,\n"
     "          1.0760e+03, 1.0770e+03],\n"
     "         [1.0780e+03, 1.0790e+03, 1.0800e+03,  ..., 1.0860e+03,\n"
     "          1.0870e+03, 1.0880e+03]],\n"
     "\n"
     "        [[1.0890e+03, 1.0900e+03, 1.0910e+03,  ..., 1.0970e+03,\n"
     "          1.0980e+03, 1.0990e+03],\n"
     "         [1.1000e+03, 1.1010e+03, 1.1020e+03,  ..., 1.1080e+03,\n"
     "          1.1090e+03, 1.1100e+03],\n"
     "         [1.1110e+03, 1.1120e+03, 1.1130e+03,  ..., 1.1190e+03,\n"
     "          1.1200e+03, 1.1210e+03],\n"
     "         ...,\n"
     "         [1.1770e+03, 1.1780e+03, 1.1790e+03,  ..., 1.1850e+03,\n"
     "          1.1860e+03, 1.1870e+03],\n"
     "         [1.1880e+03, 1.1890e+03, 1.1900e+03,  ..., 1.1960e+03,\n"
     "          1.1970e+03, 1.1980e+03],\n"
     "         [1.1990e+03, 1.2000e+03, 1.2010e+03,  ..., 1.2070e+03,\n"
     "          1.2080e+03, 1.2090e+03]],\n"
     "\n"
     "        [[1.2100e+03, 1.2110e+03, 1.2120e+03,  ..., 1.2180e+03,\n"
     "          1.2190e+03, 1.2200e+03],\n"
     "         [1.2210e+03, 1.2220e+03, 1.2230e+03,  ..., 1.2290e+03,\n"
     "          1.2300e+03, 1.2310e+03],\n"
     "         [1.2320e+03, 1.2330e+03, 1.2340e+03,  ..., 1.2400e+03,\n"
     "          1.2410e+03, 1.2420e+03],\n"
     "         ...,\n"
     "         [1.2980e+03, 1.2990e+03, 1.3000e+03,  ..., 1.3060e+03,\n"
     "          1.3070e+03, 1.3080e+03],\n"
     "         [1.3090e+03, 1.3100e+03, 1.3110e+03,  ..., 1.3170e+03,\n"
     "          1.3180e+03, 1.3190e+03],\n"
     "         [1.3200e+03, 1.3210e+03, 1.3220e+03,  ..., 1.3280e+03,\n"
     "          1.3290e+03, 1.3300e+03]]])"),
    ("torch.from_numpy(np.arange(2002).reshape(2, 1001))",
     "tensor([[   0,    1,    2,  ...,  998,  999, 1000],\n"
     "        [1001, 1002, 1003,  ..., 1999, 2000, 2001]])"),
    ("torch.from_numpy(np.arange(1200).reshape(1200, 1))",
     "tensor([[   0],\n"
     "        [   1],\n"
     "        [   2],\n"
     "        ...,\n"
     "        [1197],\n"
     "        [1198],\n"
     "        [1199]])"),
    ("torch.from_numpy(np.arange(24).reshape(2, 3, 4) > 10)",
     "tensor([[[False, False, False, False],\n"
     "         [False, False, False, False],\n"
     "         [False, False, False,  True]],\n"
     "\n"
     "        [[ True,  True,  True,  True],\n"
     "         [ True,  True,  True,  True],\n"
     "         [ True,  True,  True,  True]]])"),
    ("torch.from_numpy(np.sin(np.arange(150, dtype=np.float32)).reshape(5, 30))",
     "tensor([[ 0.0000,  0.8415,  0.9093,  0.1411, -0.7568, -0.9589, -0.2794,  0.6570,"
     "\n"
     "          0.9894,  0.4121, -0.5440, -1.0000, -0.5366,  0.4202,  0.9906,  0.6503,"
     "\n"
     "         -0.2879, -0.9614, -0.7510,  0.1499,  0.9129,  0.8367, -0.0089, -0.8462,"
     "\n"
     "         -0.9056, -0.1324,  0.7626,  0.9564,  0.2709, -0.6636],\n"
     "        [-0.9880, -0.4040,  0.5514,  0.9999,  0.5291, -0.4282, -0.9918, -0.6435,"
     "\n"
     "          0.2964,  0.9638,  0.7451, -0.1586, -0.9165, -0.8318,  0.0177,  0.8509,"
     "\n"
     "          0.9018,  0.1236, -0.7683, -0.9538, -0.2624,  0.6702,  0.9866,  0.3959,"
     "\n"
     "         -0.5588, -0.9998, -0.5216,  0.4362,  0.9929,  0.6367],\n"
     "        [-0.3048, -0.9661, -0.7392,  0.1674,  0.9200,  0.8268, -0.0266, -0.8555,"
     "\n"
     "         -0.8979, -0.1148,  0.7739,  0.9511,  0.2538, -0.6768, -0.9851, -0.3878,"
     "\n"
     "          0.5661,  0.9995,  0.5140, -0.4441, -0.9939, -0.6299,  0.3132,  0.9684,"
     "\n"
     "          0.7332, -0.1761, -0.9235, -0.8218,  0.0354,  0.8601],\n"
     "        [ 0.8940,  0.1060, -0.7795, -0.9483, -0.2453,  0.6833,  0.9836,  0.3796,"
     "\n"
     "         -0.5734, -0.9992, -0.5064,  0.4520,  0.9948,  0.6230, -0.3216, -0.9705,"
     "\n"
     "         -0.7271,  0.1848,  0.9268,  0.8167, -0.0442, -0.8646, -0.8900, -0.0972,"
     "\n"
     "          0.7850,  0.9454,  0.2367, -0.6897, -0.9820, -0.3714],\n"
     "        [ 0.5806,  0.9988,  0.4987, -0.4599, -0.9957, -0.6160,  0.3300,  0.9726,"
     "\n"
     "          0.7210, -0.1935, -0.9301, -0.8116,  0.0531,  0.8690,  0.8859,  0.0884,"
     "\n"
     "         -0.7904, -0.9425, -0.2281,  0.6961,  0.9802,  0.3632, -0.5878, -0.9983,"
     "\n"
     "         -0.4910,  0.4677,  0.9965,  0.6090, -0.3383, -0.9746]])"),
    ("torch.from_numpy((np.cos(np.arange(60)) * 1e6).reshape(3, 20))",
     "tensor([[1000000.0000,  540302.3059, -416146.8365, -989992.4966, -653643.6209,\n"
     "          283662.1855,  960170.2867,  753902.2543, -145500.0338, -911130.2619,\n"
     "         -839071.5291,    4425.6980,  843853.9587,  907446.7815,  136737.2182,\n"
     "         -759687.9129, -957659.4803, -275163.3381,  660316.7082,  988704.6182],\n"
     "        [ 408082.0618, -547729.2602, -999960.8264, -532833.0203,  424179.0073,\n"
     "          991202.8119,  646919.3223, -292138.8087, -962605.8663, -748057.5297,\n"
     "          154251.4499,  914742.3578,  834223.3605,  -13276.7472, -848570.2748,\n"
     "         -903692.2051, -127963.6896,  765414.0519,  955073.6440,  266642.9324],\n"
     "        [-666938.0617, -987339.2775, -399985.3150,  555113.3015,  999843.3086,\n"
     "          525321.9888, -432177.9449, -992335.4692, -640144.3395,  300592.5437,\n"
     "          964966.0285,  742154.1968, -162990.7808, -918282.7862, -829309.8329,\n"
     "           22126.7563,  853220.1077,  899866.8270,  119180.1354, -771080.2230]],"
     "\n"
     "       dtype=torch.float64)"),
    ("torch.linspace(-1, 1, 101)",
     "tensor([-1.0000e+00, -9.8000e-01, -9.6000e-01, -9.4000e-01, -9.2000e-01,\n"
     "        -9.0000e-01, -8.8000e-01, -8.6000e-01, -8.4000e-01, -8.2000e-01,\n"
     "        -8.0000e-01, -7.8000e-01, -7.6000e-01, -7.4000e-01, -7.2000e-01,\n"
     "        -7.0000e-01, -6.8000e-01, -6.6000e-01, -6.4000e-01, -6.2000e-01,\n"
     "        -6.0000e-01, -5.8000e-01, -5.6000e-01, -5.4000e-01, -5.2000e-01,\n"
     "        -5.0000e-01, -4.8000e-01, -4.6000e-01, -4.4000e-01, -4.2000e-01,\n"
     "        -4.0000e-01, -3.8000e-01, -3.6000e-01, -3.4000e-01, -3.2000e-01,\n"
     "        -3.0000e-01, -2.8000e-01, -2.6000e-01, -2.4000e-01, -2.2000e-01,\n"
     "        -2.0000e-01, -1.8000e-01, -1.6000e-01, -1.4000e-01, -1.2000e-01,\n"
     "        -1.0000e-01, -8.0000e-02, -6.0000e-02, -4.0000e-02, -2.0000e-02,\n"
     "         2.2352e-08,  2.0000e-02,  4.0000e-02,  6.0000e-02,  8.0000e-02,\n"
     "         1.0000e-01,  1.2000e-01,  1.4000e-01,  1.6000e-01,  1.8000e-01,\n"
     "         2.0000e-01,  2.2000e-01,  2.4000e-01,  2.6000e-01,  2.8000e-01,\n"
     "         3.0000e-01,  3.2000e-01,  3.4000e-01,  3.6000e-01,  3.8000e-01,\n"
     "         4.0000e-01,  4.2000e-01,  4.4000e-01,  4.6000e-01,  4.8000e-01,\n"
     "         5.0000e-01,  5.2000e-01,  5.4000e-01,  5.6000e-01,  5.8000e-01,\n"
     "         6.0000e-01,  6.2000e-01,  6.4000e-01,  6.6000e-01,  6.8000e-01,\n"
     "         7.0000e-01,  7.2000e-01,  7.4000e-01,  7.6000e-01,  7.8000e-01,\n"
     "         8.0000e-01,  8.2000e-01,  8.4000e-01,  8.6000e-01,  8.8000e-01,\n"
     "         9.0000e-01,  9.2000e-01,  9.4000e-01,  9.6000e-01,  9.8000e-01,\n"
     "         1.0000e+00])"),
    ("torch.arange(0, 1, 0.1)",
     "tensor([0.0000, 0.1000, 0.2000, 0.3000, 0.4000, 0.5000, 0.6000, 0.7000, 0.8000,\n"
     "        0.9000])"),
    ("torch.arange(100) * 1000",
     "tensor([    0,  1000,  2000,  3000,  4000,  5000,  6000,  7000,  8000,  9000,\n"
     "        10000, 11000, 12000, 13000, 14000, 15000, 16000, 17000, 18000, 19000,\n"
     "        20000, 21000, 22000, 23000, 24000, 25000, 26000, 27000, 28000, 29000,\n"
     "        30000, 31000, 32000, 33000, 34000, 35000, 36000, 37000, 38000, 39000,\n"
     "        40000, 41000, 42000, 43000, 44000, 45000, 46000, 47000, 48000, 49000,\n"
     "        50000, 51000, 52000, 53000, 54000, 55000, 56000, 57000, 58000, 59000,\n"
     "        60000, 61000, 62000, 63000, 64000, 65000, 66000, 67000, 68000, 69000,\n"
     "        70000, 71000, 72000, 73000, 74000, 75000, 76000, 77000, 78000, 79000,\n"
     "        80000, 81000, 82000, 83000, 84000, 85000, 86000, 87000, 88000, 89000,\n"
     "        90000, 91000, 92000, 93000, 94000, 95000, 96000, 97000, 98000, 99000])"),
    ("torch.tensor([])",
     "tensor([])"),
    ("torch.zeros(0, 3)",
     "tensor([], size=(0, 3))"),
    ("torch.zeros(3, 0, dtype=torch.int64)",
     "tensor([], size=(3, 0), dtype=torch.int64)"),
    ("torch.tensor([], dtype=torch.int64)",
     "tensor([], dtype=torch.int64)"),
    ("torch.zeros(2, 0, 1, dtype=torch.bool)",
     "tensor([], size=(2, 0, 1), dtype=torch.bool)"),
    ("torch.tensor([], dtype=torch.float64)",
     "tensor([], dtype=torch.float64)"),
    ("torch.tensor([1., 2.], requires_grad=True)",
     "tensor([1., 2.], requires_grad=True)"),
    ("torch.tensor(2., requires_grad=True)",
     "tensor(2., requires_grad=True)"),
    ("torch.tensor([1., 2.], requires_grad=True) * 2",
     "tensor([2., 4.], grad_fn=<MulBackward0>)"),
    ("torch.tensor(2., requires_grad=True) + 1",
     "tensor(3., grad_fn=<AddBackward0>)"),
    ("torch.tensor([1.5, 2.], dtype=torch.float64, requires_grad=True) * 3",
     "tensor([4.5000, 6.0000], dtype=torch.float64, grad_fn=<MulBackward0>)"),
    ("torch.from_numpy(np.linspace(0, 1, 9)).requires_grad_() * 1",
     "tensor([0.0000, 0.1250, 0.2500, 0.3750, 0.5000, 0.6250, 0.7500, 0.8750, 1.0000],"
     "\n"
     "       dtype=torch.float64, grad_fn=<MulBackward0>)"),
    ("torch.from_numpy(np.linspace(0, 1, 7)).requires_grad_()",
     "tensor([0.0000, 0.1667, 0.3333, 0.5000, 0.6667, 0.8333, 1.0000],\n"
     "       dtype=torch.float64, requires_grad=True)"),
    ("torch.from_numpy(np.linspace(-3, 3, 12).reshape(3, 4)).float().requires_grad_() * 2",
     "tensor([[-6.0000, -4.9091, -3.8182, -2.7273],\n"
     "        [-1.6364, -0.5455,  0.5455,  1.6364],\n"
     "        [ 2.7273,  3.8182,  4.9091,  6.0000]], grad_fn=<MulBackward0>)"),
    # PyTorch counts the last line one character long when it has no newline: 13 ones wrap
    # their suffix, 12 do not
    ("torch.ones(13, requires_grad=True)",
     "tensor([1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],\n"
     "       requires_grad=True)"),
    ("torch.ones(12, requires_grad=True)",
     "tensor([1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.], requires_grad=True)"),
    ("torch.ones(13, dtype=torch.float64)",
     "tensor([1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],\n"
     "       dtype=torch.float64)"),
    ("torch.zeros(0, 2, requires_grad=True)",
     "tensor([], size=(0, 2), requires_grad=True)"),
    ("torch.zeros(0, dtype=torch.float64, requires_grad=True)",
     "tensor([], dtype=torch.float64, requires_grad=True)"),
]

# (print options, expression, repr), also taken from PyTorch 2.13.
OPTION_CASES = [
    ({'precision': 2}, "torch.tensor([1.12345, 2.5])",
     "tensor([1.12, 2.50])"),
    ({'precision': 0}, "torch.tensor([1.6, 2.5])",
     "tensor([2, 2])"),
    ({'precision': 8}, "torch.tensor([1 / 3, 2.])",
     "tensor([0.33333334, 2.00000000])"),
    ({'threshold': 5}, "torch.arange(10)",
     "tensor([0, 1, 2,  ..., 7, 8, 9])"),
    ({'threshold': 5}, "torch.from_numpy(np.arange(64.).reshape(8, 8))",
     "tensor([[ 0.,  1.,  2.,  ...,  5.,  6.,  7.],\n"
     "        [ 8.,  9., 10.,  ..., 13., 14., 15.],\n"
     "        [16., 17., 18.,  ..., 21., 22., 23.],\n"
     "        ...,\n"
     "        [40., 41., 42.,  ..., 45., 46., 47.],\n"
     "        [48., 49., 50.,  ..., 53., 54., 55.],\n"
     "        [56., 57., 58.,  ..., 61., 62., 63.]], dtype=torch.float64)"),
    ({'edgeitems': 1, 'threshold': 10}, "torch.from_numpy(np.arange(60).reshape(3, 4, 5))",
     "tensor([[[ 0,  ...,  4],\n"
     "         ...,\n"
     "         [15,  ..., 19]],\n"
     "\n"
     "        ...,\n"
     "\n"
     "        [[40,  ..., 44],\n"
     "         ...,\n"
     "         [55,  ..., 59]]])"),
    ({'edgeitems': 0, 'threshold': 3}, "torch.arange(10)",
     "tensor([...], size=(10,))"),
    ({'edgeitems': 0, 'threshold': 3}, "torch.from_numpy(np.arange(12.).reshape(3, 4))",
     "tensor([...], size=(3, 4), dtype=torch.float64)"),
    ({'linewidth': 40}, "torch.from_numpy(np.linspace(0, 1, 20, dtype=np.float32))",
     "tensor([0.0000, 0.0526, 0.1053, 0.1579,\n"
     "        0.2105, 0.2632, 0.3158, 0.3684,\n"
     "        0.4211, 0.4737, 0.5263, 0.5789,\n"
     "        0.6316, 0.6842, 0.7368, 0.7895,\n"
     "        0.8421, 0.8947, 0.9474, 1.0000])"),
    ({'linewidth': 40}, "torch.tensor([1.5, 2.], dtype=torch.float64, requires_grad=True) * 3",
     "tensor([4.5000, 6.0000],\n"
     "       dtype=torch.float64,\n"
     "       grad_fn=<MulBackward0>)"),
    ({'sci_mode': True}, "torch.tensor([1., 2.5])",
     "tensor([1.0000e+00, 2.5000e+00])"),
    ({'sci_mode': True}, "torch.tensor([1, 2])",
     "tensor([1, 2])"),
    ({'sci_mode': False}, "torch.tensor([1e-8, 1e8])",
     "tensor([        0.0000, 100000000.0000])"),
    ({'profile': 'short'}, "torch.from_numpy(np.arange(1500.) / 3)",
     "tensor([0.00e+00, 3.33e-01,  ..., 4.99e+02, 5.00e+02], dtype=torch.float64)"),
]


@pytest.fixture(autouse=True)
def _default_printoptions():
    _tensor_str.set_printoptions(profile="default")
    yield
    _tensor_str.set_printoptions(profile="default")


def _build(expr: str):
    return eval(expr, {"torch": chainrule, "np": np})  # noqa: S307 - test table expressions


@pytest.mark.parametrize("expr,expected", CASES, ids=[c[0] for c in CASES])
def test_repr_matches_pytorch(expr, expected):
    t = _build(expr)
    assert repr(t) == expected
    assert str(t) == expected


@pytest.mark.parametrize("options,expr,expected", OPTION_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in OPTION_CASES])
def test_printoptions(options, expr, expected):
    _tensor_str.set_printoptions(**options)
    assert repr(_build(expr)) == expected


def test_get_printoptions_and_profiles():
    assert _tensor_str.get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3,
                                              "linewidth": 80, "sci_mode": None}
    _tensor_str.set_printoptions(profile="full")
    assert _tensor_str.get_printoptions()["threshold"] == math.inf
    _tensor_str.set_printoptions(profile="short", precision=3)
    opts = _tensor_str.get_printoptions()
    assert (opts["precision"], opts["edgeitems"]) == (3, 2)
    with pytest.raises(ValueError, match="profile"):
        _tensor_str.set_printoptions(profile="tiny")


def test_set_printoptions_resets_sci_mode_like_pytorch():
    _tensor_str.set_printoptions(sci_mode=True)
    assert repr(chainrule.tensor([1.0, 2.5])) == "tensor([1.0000e+00, 2.5000e+00])"
    _tensor_str.set_printoptions(precision=4)  # omitting sci_mode sets it back to automatic
    assert repr(chainrule.tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"


def test_printoptions_context_manager_restores():
    with _tensor_str.printoptions(precision=1, linewidth=20):
        assert repr(chainrule.tensor([0.25, 1.0])) == "tensor([0.2, 1.0])"
    assert _tensor_str.get_printoptions()["precision"] == 4
    assert _tensor_str.get_printoptions()["linewidth"] == 80


def test_default_dtype_float64_changes_the_suffixes():
    chainrule.set_default_dtype(chainrule.float64)
    try:
        assert repr(chainrule.tensor([1.5, 2.0])) == "tensor([1.5000, 2.0000])"
        assert repr(chainrule.tensor([1.5], dtype=chainrule.float32)) == \
            "tensor([1.5000], dtype=torch.float32)"
        assert repr(chainrule.tensor([])) == "tensor([])"
        assert repr(chainrule.tensor([], dtype=chainrule.float32)) == \
            "tensor([], dtype=torch.float32)"
    finally:
        chainrule.set_default_dtype(chainrule.float32)


def test_subclass_prefix_and_format():
    class MyTensor(chainrule.Tensor):
        pass

    t = MyTensor([1.0, 2.0])
    assert repr(t) == "MyTensor([1., 2.])"
    assert f"{chainrule.tensor(2.5):.2f}" == "2.50"
    assert "tensor([1, 2])" in f"{chainrule.tensor([1, 2])}"


def test_parameter_prints_like_a_plain_tensor_inside():
    parameter = pytest.importorskip("chainrule.nn.parameter")

    class MyParam(parameter.Parameter):
        pass

    assert tensor_repr(parameter.Parameter(chainrule.ones(2))) == \
        "tensor([1., 1.], requires_grad=True)"
    assert tensor_repr(MyParam(chainrule.ones(2))) == \
        "Parameter(MyParam([1., 1.], requires_grad=True))"


def test_printing_does_not_touch_the_graph_or_values():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    version = y._version.value
    repr(y)
    assert y._version.value == version and y.grad_fn.name() == "MulBackward0"
    np.testing.assert_array_equal(y.detach().numpy(), [2.0, 4.0])


def test_array_str_alignment():
    text = _tensor_str.array_str(np.array([[1.0, -10.5], [100.25, 0.0]]), indent=7)
    assert text == "[[  1.0000, -10.5000],\n        [100.2500,   0.0000]]"


def _random_array(rng: np.random.Generator) -> np.ndarray:
    ndim = int(rng.integers(0, 4))
    shape = tuple(int(s) for s in rng.integers(0, 6 if ndim > 1 else 30, ndim))
    if rng.random() < 0.05:
        shape = (int(rng.integers(990, 1100)),)
    kind = str(rng.choice(["float32", "float64", "int64", "int32", "bool"]))
    if kind == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    values = rng.standard_normal(shape) * 10.0 ** int(rng.integers(-9, 11))
    if kind.startswith("int"):
        return np.asarray(np.clip(values, -1e9, 1e9)).astype(kind)
    if rng.random() < 0.3:
        values = np.round(values)
    values = np.asarray(values).astype(kind)
    if values.size and rng.random() < 0.2:
        values.flat[int(rng.integers(values.size))] = rng.choice([np.nan, np.inf, -np.inf, -0.0])
    return values


@pytest.mark.skipif(real_torch is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("options", [{}, {"precision": 2, "linewidth": 50},
                                     {"threshold": 20, "edgeitems": 2}, {"sci_mode": False}])
def test_random_tensors_print_like_pytorch(options):
    rng = np.random.default_rng(1234)
    _tensor_str.set_printoptions(**options)
    real_torch.set_printoptions(**options)
    try:
        for _ in range(150):
            arr = _random_array(rng)
            ours, theirs = chainrule.from_numpy(arr.copy()), real_torch.from_numpy(arr.copy())
            if arr.dtype.kind == "f" and rng.random() < 0.5:
                ours, theirs = ours.requires_grad_(), theirs.requires_grad_()
                if rng.random() < 0.5:
                    ours, theirs = ours * 1, theirs * 1
            assert repr(ours) == repr(theirs), (arr.dtype, arr.shape)
    finally:
        real_torch.set_printoptions(profile="default")
