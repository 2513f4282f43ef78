package data

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"path/filepath"
	"strings"
)

// imageExts are the file extensions (lower case) LoadFolder reads.
var imageExts = []string{".jpg", ".jpeg", ".png"}

// isImageName reports whether name has one of imageExts, in any case.
func isImageName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range imageExts {
		if ext == e {
			return true
		}
	}
	return false
}

// decodeImage decodes a JPEG or PNG file (by extension) into 8-bit RGB
// planes [3, H, W] and returns them with the image's height and width.
// See toRGB for the colour conversions.
func decodeImage(name string, b []byte) (pix []uint8, h, w int, err error) {
	var im image.Image
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png":
		im, err = png.Decode(bytes.NewReader(b))
	default:
		im, err = jpeg.Decode(bytes.NewReader(b))
	}
	if err != nil {
		return nil, 0, 0, err
	}
	r := im.Bounds()
	h, w = r.Dy(), r.Dx()
	if h < 1 || w < 1 {
		return nil, 0, 0, fmt.Errorf("empty image (%dx%d)", w, h)
	}
	pix = make([]uint8, 3*h*w)
	toRGB(pix, im)
	return pix, h, w, nil
}

// toRGB writes im as 8-bit RGB planes [3, H, W] into pix:
//
//   - JPEG colour (*image.YCbCr): chroma upsampled and converted to RGB as
//     libjpeg does by default (see ycbcrToRGB), so that pixels agree with
//     libjpeg-based readers (PIL, torchvision) up to the inverse DCT's
//     rounding.
//   - 8-bit gray (JPEG or PNG): R = G = B = Y.
//   - anything else (PNG RGB, RGBA, palette, 16-bit; CMYK JPEG): the colour
//     as color.NRGBAModel converts it, non-premultiplied, 16-bit values
//     reduced to their high byte; alpha is ignored, not composited.
func toRGB(pix []uint8, im image.Image) {
	r := im.Bounds()
	h, w := r.Dy(), r.Dx()
	p := h * w
	switch m := im.(type) {
	case *image.YCbCr:
		ycbcrToRGB(pix, m)
	case *image.Gray:
		for y := range h {
			row := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):][:w]
			for c := range 3 {
				copy(pix[c*p+y*w:c*p+(y+1)*w], row)
			}
		}
	default:
		for y := range h {
			for x := range w {
				c := color.NRGBAModel.Convert(im.At(r.Min.X+x, r.Min.Y+y)).(color.NRGBA)
				i := y*w + x
				pix[i], pix[p+i], pix[2*p+i] = c.R, c.G, c.B
			}
		}
	}
}

// JPEG YCbCr -> RGB in libjpeg's fixed point (jdcolor.c, ycc_rgb_convert,
// SCALEBITS = 16), after ITU-T T.871 (JFIF):
//
//	R = Y + 1.402 (Cr - 128)
//	G = Y - 0.34414 (Cb - 128) - 0.71414 (Cr - 128)
//	B = Y + 1.772 (Cb - 128)
const (
	yccScaleBits = 16
	yccHalf      = 1 << (yccScaleBits - 1)
)

// yccFix is libjpeg's FIX(x): x in 16-bit fixed point, rounded.
func yccFix(x float64) int32 { return int32(x*(1<<yccScaleBits) + 0.5) }

// yccToRGB converts one pixel exactly as libjpeg's ycc_rgb_convert does.
func yccToRGB(y, cb, cr uint8) (r, g, b uint8) {
	Y, Cb, Cr := int32(y), int32(cb)-128, int32(cr)-128
	R := Y + (yccFix(1.40200)*Cr+yccHalf)>>yccScaleBits
	G := Y + (-yccFix(0.34414)*Cb+yccHalf-yccFix(0.71414)*Cr)>>yccScaleBits
	B := Y + (yccFix(1.77200)*Cb+yccHalf)>>yccScaleBits
	return clamp8(R), clamp8(G), clamp8(B)
}

func clamp8(v int32) uint8 { return uint8(min(max(v, 0), 255)) }

// ycbcrToRGB converts a decoded JPEG to RGB planes. Subsampled chroma is
// upsampled as libjpeg does by default ("fancy upsampling", jdsample.c):
// a triangle filter, 3/4 of the nearer and 1/4 of the farther chroma
// sample on each subsampled axis, with libjpeg's alternating rounding
// biases, for 4:2:0 (h2v2), 4:2:2 (h2v1) and 4:4:0 (h1v2); other ratios,
// and chroma planes 2 samples wide or less, replicate the nearest sample
// (libjpeg does the same for those). Go's own YCbCr.At replicates in every
// case, which puts 2x2 blocks into the chroma of 4:2:0 images.
func ycbcrToRGB(pix []uint8, m *image.YCbCr) {
	r := m.Bounds()
	h, w := r.Dy(), r.Dx()
	p := h * w
	cw, ch := chromaSize(m.SubsampleRatio, w, h)
	// The chroma planes, cropped to the image, as cw x ch arrays.
	plane := func(src []uint8) []uint8 {
		out := make([]uint8, cw*ch)
		c0 := m.COffset(r.Min.X, r.Min.Y)
		for y := range ch {
			copy(out[y*cw:(y+1)*cw], src[c0+y*m.CStride:])
		}
		return out
	}
	cb, cr := upsample(plane(m.Cb), cw, ch, w, h, m.SubsampleRatio), upsample(plane(m.Cr), cw, ch, w, h, m.SubsampleRatio)
	for y := range h {
		yrow := m.Y[m.YOffset(r.Min.X, r.Min.Y)+y*m.YStride:]
		for x := range w {
			i := y*w + x
			pix[i], pix[p+i], pix[2*p+i] = yccToRGB(yrow[x], cb[i], cr[i])
		}
	}
}

// chromaSize returns the chroma plane size of a w x h image.
func chromaSize(r image.YCbCrSubsampleRatio, w, h int) (cw, ch int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}

// upsample returns the chroma plane c [ch, cw] at full size [h, w].
func upsample(c []uint8, cw, ch, w, h int, r image.YCbCrSubsampleRatio) []uint8 {
	fx, fy := (w+cw-1)/cw, (h+ch-1)/ch // replication factors
	var full []uint8                   // [2*ch or ch, 2*cw or cw]
	fw, fh := cw*fx, ch*fy
	switch {
	case r == image.YCbCrSubsampleRatio420 && cw > 2:
		full = fancyH2V2(c, cw, ch)
	case r == image.YCbCrSubsampleRatio422 && cw > 2:
		full = fancyH2V1(c, cw, ch)
	case r == image.YCbCrSubsampleRatio440:
		full = fancyH1V2(c, cw, ch)
	default:
		full = make([]uint8, fw*fh)
		for y := range fh {
			for x := range fw {
				full[y*fw+x] = c[(y/fy)*cw+x/fx]
			}
		}
	}
	out := make([]uint8, w*h)
	for y := range h {
		copy(out[y*w:(y+1)*w], full[y*fw:])
	}
	return out
}

// fancyH2V1 is libjpeg's h2v1_fancy_upsample: each row doubled in width,
//
//	out[2i]   = (3 c[i] + c[i-1] + 1) >> 2
//	out[2i+1] = (3 c[i] + c[i+1] + 2) >> 2
//
// with the first and last samples copied at the row's ends. cw must be > 2.
func fancyH2V1(c []uint8, cw, ch int) []uint8 {
	out := make([]uint8, 2*cw*ch)
	for y := range ch {
		in, o := c[y*cw:(y+1)*cw], out[2*y*cw:2*(y+1)*cw]
		o[0] = in[0]
		o[1] = uint8((3*int(in[0]) + int(in[1]) + 2) >> 2)
		for i := 1; i < cw-1; i++ {
			v := 3 * int(in[i])
			o[2*i] = uint8((v + int(in[i-1]) + 1) >> 2)
			o[2*i+1] = uint8((v + int(in[i+1]) + 2) >> 2)
		}
		o[2*cw-2] = uint8((3*int(in[cw-1]) + int(in[cw-2]) + 1) >> 2)
		o[2*cw-1] = in[cw-1]
	}
	return out
}

// fancyH1V2 is libjpeg's h1v2_fancy_upsample: each column doubled in
// height, out row 2y = (3 c[y] + c[y-1] + 1) >> 2 and row 2y+1 =
// (3 c[y] + c[y+1] + 2) >> 2, the rows past the edges being the edge rows.
func fancyH1V2(c []uint8, cw, ch int) []uint8 {
	out := make([]uint8, cw*2*ch)
	for y := range ch {
		this := c[y*cw : (y+1)*cw]
		for v, bias := range [2]int{1, 2} {
			nb := c[max(y-1, 0)*cw:]
			if v == 1 {
				nb = c[min(y+1, ch-1)*cw:]
			}
			o := out[(2*y+v)*cw : (2*y+v+1)*cw]
			for x := range cw {
				o[x] = uint8((3*int(this[x]) + int(nb[x]) + bias) >> 2)
			}
		}
	}
	return out
}

// fancyH2V2 is libjpeg's h2v2_fancy_upsample: with column sums
// s[i] = 3 c[y][i] + c[y±1][i] (the row above for output row 2y, below for
// 2y+1; the edge row itself past the edges),
//
//	out[2i]   = (3 s[i] + s[i-1] + 8) >> 4
//	out[2i+1] = (3 s[i] + s[i+1] + 7) >> 4
//
// and out[0] = (4 s[0] + 8) >> 4, out[2cw-1] = (4 s[cw-1] + 7) >> 4 at the
// row's ends. cw must be > 2.
func fancyH2V2(c []uint8, cw, ch int) []uint8 {
	out := make([]uint8, 4*cw*ch)
	s := make([]int, cw)
	for y := range ch {
		this := c[y*cw : (y+1)*cw]
		for v := range 2 {
			nb := c[max(y-1, 0)*cw:]
			if v == 1 {
				nb = c[min(y+1, ch-1)*cw:]
			}
			for i := range cw {
				s[i] = 3*int(this[i]) + int(nb[i])
			}
			o := out[(2*y+v)*2*cw : (2*y+v+1)*2*cw]
			o[0] = uint8((4*s[0] + 8) >> 4)
			o[1] = uint8((3*s[0] + s[1] + 7) >> 4)
			for i := 1; i < cw-1; i++ {
				o[2*i] = uint8((3*s[i] + s[i-1] + 8) >> 4)
				o[2*i+1] = uint8((3*s[i] + s[i+1] + 7) >> 4)
			}
			o[2*cw-2] = uint8((3*s[cw-1] + s[cw-2] + 8) >> 4)
			o[2*cw-1] = uint8((4*s[cw-1] + 7) >> 4)
		}
	}
	return out
}

// resizeArea resamples RGB planes [3, h, w] to [3, oh, ow] by area
// averaging: output pixel (i, j) covers the source rectangle
// [i h/oh, (i+1) h/oh) x [j w/ow, (j+1) w/ow), and its value is the mean of
// the source pixels weighted by their overlap with it,
//
//	out = round( sum_{y,x} a_y(i) a_x(j) v[y][x] ),   a_y(i) = |[y, y+1) ∩ cell_i| oh/h
//
// in float64, rounded half away from zero, separably (the weights are a
// product). Downscaling by an integer factor is the block mean; upscaling
// replicates, blending where a cell straddles two source pixels. It is
// exact arithmetic on fixed tables, so deterministic.
func resizeArea(src []uint8, h, w, oh, ow int) []uint8 {
	ay, ax := areaWeights(h, oh), areaWeights(w, ow)
	out := make([]uint8, 3*oh*ow)
	tmp := make([]float64, h*ow) // horizontal pass
	for c := range 3 {
		plane := src[c*h*w : (c+1)*h*w]
		for y := range h {
			for j, ws := range ax {
				var v float64
				for _, t := range ws {
					v += t.w * float64(plane[y*w+t.i])
				}
				tmp[y*ow+j] = v
			}
		}
		for i, ws := range ay {
			for j := range ow {
				var v float64
				for _, t := range ws {
					v += t.w * tmp[t.i*ow+j]
				}
				out[c*oh*ow+i*ow+j] = uint8(min(max(math.Round(v), 0), 255))
			}
		}
	}
	return out
}

// tap is one source index and its weight.
type tap struct {
	i int
	w float64
}

// areaWeights returns, for each of the m output cells over n source
// pixels, the source pixels it overlaps and the overlap as a fraction of
// the cell. Cell k spans [k n/m, (k+1) n/m); in units of 1/m source pixels
// it spans [k n, (k+1) n), so the overlaps are exact integers over n.
func areaWeights(n, m int) [][]tap {
	out := make([][]tap, m)
	for k := range m {
		lo, hi := k*n, (k+1)*n // in 1/m pixels
		for p := lo / m; p*m < hi; p++ {
			ov := min(hi, (p+1)*m) - max(lo, p*m)
			if ov > 0 {
				out[k] = append(out[k], tap{i: p, w: float64(ov) / float64(n)})
			}
		}
	}
	return out
}
