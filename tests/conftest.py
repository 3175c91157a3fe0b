import torch

torch.set_num_threads(1)  # two xdist workers on a two-core CI machine
