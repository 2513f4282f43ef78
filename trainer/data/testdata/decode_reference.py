# Fixtures and reference pixels for TestDecodeMatchesPIL and
# TestResizeAreaMatchesPIL (decode_test.go).
#
# Run from trainer/data with Debian's python3-pil (9.4.0) and python3-numpy:
#     /usr/bin/python3 testdata/decode_reference.py
# It writes, under testdata/decode/, small synthetic images (smooth colour
# ramps plus a sharp colour edge, so that chroma upsampling matters; no
# dataset content) as JPEG with each chroma subsampling PIL offers and as a
# grayscale JPEG, each with NAME.pil.rgb: the RGB bytes (row-major,
# interleaved) PIL decodes from it (libjpeg: islow IDCT, fancy upsampling).
# It also writes box.png (8 x 6 RGB) and box-4x3.pil.rgb, PIL's
# Image.resize((4, 3), Image.BOX) of it. For an integer factor PIL's box
# filter averages each output cell's source pixels, as resizeArea does; for
# other factors it weighs the pixels whose centres fall in a cell equally
# rather than by their overlap, so only the integer case is a reference.
import os

import numpy as np
from PIL import Image

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "decode")
os.makedirs(out, exist_ok=True)


def pattern(w, h):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255 * x / max(w - 1, 1)
    g = 255 * y / max(h - 1, 1)
    b = np.where(x + 2 * y > w, 220.0, 30.0)  # a sharp diagonal colour edge
    return np.clip(np.stack([r, g, b], -1).round(), 0, 255).astype(np.uint8)


cases = [
    ("s420-13x9", 13, 9, 2),   # 4:2:0, odd size: chroma planes 7 x 5
    ("s420-32x32", 32, 32, 2),  # CIFAR's size
    ("s422-11x6", 11, 6, 1),   # 4:2:2
    ("s444-8x5", 8, 5, 0),     # 4:4:4: no upsampling
    ("s420-4x4", 4, 4, 2),     # chroma 2 wide: libjpeg replicates
]
for name, w, h, sub in cases:
    path = os.path.join(out, name + ".jpg")
    Image.fromarray(pattern(w, h), "RGB").save(path, quality=75, subsampling=sub)
    rgb = np.asarray(Image.open(path).convert("RGB"))
    open(os.path.join(out, name + ".pil.rgb"), "wb").write(rgb.tobytes())

gray = pattern(10, 7)[:, :, 0]
path = os.path.join(out, "gray-10x7.jpg")
Image.fromarray(gray, "L").save(path, quality=90)
rgb = np.asarray(Image.open(path).convert("RGB"))
open(os.path.join(out, "gray-10x7.pil.rgb"), "wb").write(rgb.tobytes())

box = pattern(8, 6)
box[2, 3] = (255, 0, 255)
Image.fromarray(box, "RGB").save(os.path.join(out, "box.png"))
small = np.asarray(Image.fromarray(box, "RGB").resize((4, 3), Image.BOX))
open(os.path.join(out, "box-4x3.pil.rgb"), "wb").write(small.tobytes())
print("PIL", Image.__version__, "numpy", np.__version__, "wrote", sorted(os.listdir(out)))
