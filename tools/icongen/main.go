// Command icongen draws Couture's application icon: a speech bubble joined
// by a running stitch, with the needle that sewed it. The shapes are signed
// distance functions sampled 4×4 per pixel, so the edges are antialiased and
// the result depends on nothing but the standard library.
//
// Usage (from the repository root):
//
//	go run -C tools ./icongen -o ../assets/icon.png
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
)

const size = 512

// Palette: flat colours, no gradients.
var (
	background = color.NRGBA{0x26, 0x46, 0x53, 0xff} // deep teal
	bubble     = color.NRGBA{0xfd, 0xf6, 0xe3, 0xff} // cream
	thread     = color.NRGBA{0xe7, 0x6f, 0x51, 0xff} // coral
	steel      = color.NRGBA{0xd8, 0xde, 0xe4, 0xff} // needle
	steelEdge  = color.NRGBA{0x5b, 0x6b, 0x78, 0xff}
)

type vec struct{ x, y float64 }

func (a vec) sub(b vec) vec         { return vec{a.x - b.x, a.y - b.y} }
func (a vec) add(b vec) vec         { return vec{a.x + b.x, a.y + b.y} }
func (a vec) scale(k float64) vec   { return vec{a.x * k, a.y * k} }
func (a vec) dot(b vec) float64     { return a.x*b.x + a.y*b.y }
func (a vec) length() float64       { return math.Hypot(a.x, a.y) }
func lerp(a, b vec, t float64) vec  { return a.add(b.sub(a).scale(t)) }
func clamp01(t float64) float64     { return math.Max(0, math.Min(1, t)) }
func onSegment(p, a, b vec) float64 { ab := b.sub(a); return clamp01(p.sub(a).dot(ab) / ab.dot(ab)) }

// A shape returns the signed distance from p to its edge, negative inside.
type shape func(p vec) float64

func roundRect(x0, y0, x1, y1, r float64) shape {
	cx, cy := (x0+x1)/2, (y0+y1)/2
	hx, hy := (x1-x0)/2-r, (y1-y0)/2-r
	return func(p vec) float64 {
		dx := math.Abs(p.x-cx) - hx
		dy := math.Abs(p.y-cy) - hy
		out := math.Hypot(math.Max(dx, 0), math.Max(dy, 0))
		return out + math.Min(math.Max(dx, dy), 0) - r
	}
}

// capsule is a segment from a to b, radius ra at a and rb at b.
func capsule(a, b vec, ra, rb float64) shape {
	return func(p vec) float64 {
		t := onSegment(p, a, b)
		return p.sub(lerp(a, b, t)).length() - (ra + (rb-ra)*t)
	}
}

// triangle is the convex polygon a, b, c (any winding).
func triangle(a, b, c vec) shape {
	pts := []vec{a, b, c}
	return func(p vec) float64 {
		d := math.Inf(1)
		inside := true
		sign := 0.0
		for i := range pts {
			u, v := pts[i], pts[(i+1)%3]
			d = math.Min(d, p.sub(lerp(u, v, onSegment(p, u, v))).length())
			e, w := v.sub(u), p.sub(u)
			cross := e.x*w.y - e.y*w.x
			if sign == 0 {
				sign = math.Copysign(1, cross)
			} else if cross*sign < 0 {
				inside = false
			}
		}
		if inside {
			return -d
		}
		return d
	}
}

func union(shapes ...shape) shape {
	return func(p vec) float64 {
		d := math.Inf(1)
		for _, s := range shapes {
			d = math.Min(d, s(p))
		}
		return d
	}
}

func minus(a, b shape) shape {
	return func(p vec) float64 { return math.Max(a(p), -b(p)) }
}

// stroke turns a curve given as a polyline into a band of half-width w.
func stroke(pts []vec, w float64) shape {
	return func(p vec) float64 {
		d := math.Inf(1)
		for i := 1; i < len(pts); i++ {
			d = math.Min(d, p.sub(lerp(pts[i-1], pts[i], onSegment(p, pts[i-1], pts[i]))).length())
		}
		return d - w
	}
}

func cubic(p0, p1, p2, p3 vec, n int) []vec {
	out := make([]vec, 0, n+1)
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		u := 1 - t
		out = append(out, p0.scale(u*u*u).add(p1.scale(3*u*u*t)).add(p2.scale(3*u*t*t)).add(p3.scale(t*t*t)))
	}
	return out
}

type layer struct {
	shape shape
	color color.NRGBA
}

func layers() []layer {
	// The speech bubble, its tail bottom left.
	speech := union(
		roundRect(84, 112, 428, 356, 72),
		triangle(vec{132, 320}, vec{236, 330}, vec{108, 436}),
	)

	// The running stitch across the bubble: the seam that must not show.
	var dashes []shape
	for x := 138.0; x+18 <= 330; x += 50 {
		dashes = append(dashes, capsule(vec{x, 240}, vec{x + 18, 240}, 9, 9))
	}
	stitch := union(dashes...)

	// The needle lies across the bubble's right edge, tip pointing at the
	// last stitch; its eye is a slot near the top end.
	tip, head := vec{356, 254}, vec{448, 86}
	axis := head.sub(tip).scale(1 / head.sub(tip).length())
	eye := capsule(head.sub(axis.scale(40)), head.sub(axis.scale(16)), 4.5, 4.5)
	needle := minus(capsule(tip, head, 2, 15), eye)
	needleEdge := minus(capsule(tip, head, 5.5, 19), eye)

	// The thread leaves the eye and falls in a loose loop.
	eyeMid := head.sub(axis.scale(28))
	loose := stroke(cubic(eyeMid, vec{500, 150}, vec{492, 320}, vec{400, 420}, 64), 8)

	return []layer{
		{roundRect(0, 0, size, size, 112), background},
		{speech, bubble},
		{stitch, thread},
		{loose, thread},
		{needleEdge, steelEdge},
		{needle, steel},
	}
}

func render(ls []layer) *image.NRGBA {
	const ss = 4 // samples per axis
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					p := vec{float64(x) + (float64(sx)+0.5)/ss, float64(y) + (float64(sy)+0.5)/ss}
					// Paint the layers bottom to top; the sample takes the
					// topmost layer that covers it.
					var c *color.NRGBA
					for i := range ls {
						if ls[i].shape(p) < 0 {
							c = &ls[i].color
						}
					}
					if c != nil {
						r += float64(c.R)
						g += float64(c.G)
						b += float64(c.B)
						a++
					}
				}
			}
			if a == 0 {
				continue
			}
			// Straight (non-premultiplied) alpha: average colour of the
			// covered samples, coverage as alpha.
			img.SetNRGBA(x, y, color.NRGBA{
				R: uint8(math.Round(r / a)),
				G: uint8(math.Round(g / a)),
				B: uint8(math.Round(b / a)),
				A: uint8(math.Round(a / (ss * ss) * 255)),
			})
		}
	}
	return img
}

func main() {
	out := flag.String("o", "icon.png", "output PNG file")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "icongen:", err)
		os.Exit(1)
	}
	if err := png.Encode(f, render(layers())); err != nil {
		f.Close()
		fmt.Fprintln(os.Stderr, "icongen:", err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "icongen:", err)
		os.Exit(1)
	}
}
