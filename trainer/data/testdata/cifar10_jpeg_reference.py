# Reference values for TestLoadFolderCIFAR10JPEG (folder_cifar_test.go).
#
# Run from trainer/data with Debian's python3-pil (9.4.0) and python3-numpy:
#     /usr/bin/python3 testdata/cifar10_jpeg_reference.py ../../../shared/data/cifar10-jpeg
# and paste the printed Go literals into folder_cifar_test.go.
#
# PIL decodes with libjpeg (islow IDCT, fancy chroma upsampling), the reader
# most CIFAR-10 JPEG pipelines use. Printed: the class folders in sorted
# order, the number of images per class in each split, the mean of each
# channel over all training pixels (intensity levels 0..255), and, for a few
# files, 4x4 block means (8x8-pixel blocks, per channel, row-major) as a
# positional checksum that catches flips, transposes and channel swaps.
import os
import sys

import numpy as np
from PIL import Image

root = sys.argv[1]
classes = sorted(d for d in os.listdir(os.path.join(root, "train")) if not d.startswith("."))
print("// PIL", Image.__version__, "numpy", np.__version__)
print("classes:", classes)
for split in ("train", "test"):
    print(split, "counts:", [len([f for f in os.listdir(os.path.join(root, split, c)) if f.endswith(".jpg")]) for c in classes])

total = np.zeros(3)
n = 0
for c in classes:
    d = os.path.join(root, "train", c)
    for f in sorted(os.listdir(d)):
        a = np.asarray(Image.open(os.path.join(d, f)).convert("RGB"), dtype=np.float64)
        total += a.reshape(-1, 3).sum(0)
        n += a.shape[0] * a.shape[1]
print("trainChannelMean: [3]float64{%.6f, %.6f, %.6f}," % tuple(total / n))

for rel in ("train/airplane/0000.jpg", "train/frog/2500.jpg", "train/truck/4999.jpg",
            "test/cat/0000.jpg", "test/ship/0999.jpg"):
    a = np.asarray(Image.open(os.path.join(root, rel)).convert("RGB"), dtype=np.float64)
    b = a.reshape(4, 8, 4, 8, 3).mean(axis=(1, 3))  # [4, 4, 3]
    vals = ", ".join("%.4f" % v for v in b.transpose(2, 0, 1).ravel())
    print('{"%s", [48]float64{%s}},' % (rel, vals))
