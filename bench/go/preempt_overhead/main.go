// preempt_overhead: the same compute kernels as bench/goc/preempt_overhead.goc
// (sum of an array, n-body steps, matrix multiply), in Go, for reference: Go
// has no plain-function/goroutine-function split (it preempts with signals),
// so the row's time is the kernel run in a goroutine, best of REPS.
// Argument: scale s (1..10): the array is summed 5*s times, n-body runs
// 120000*s steps, the matrices are 40*s square.
package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"time"
)

const (
	reps   = 5
	sumN   = 2000000
	matMax = 400
	nb     = 5
)

func sum(a []float64, passes int) float64 {
	s := 0.0
	for p := 0; p < passes; p++ {
		for i := 0; i < len(a); i++ {
			s += a[i]
		}
	}
	return s
}

type body struct{ x, y, z, vx, vy, vz, mass float64 }

const (
	solarMass   = 4 * math.Pi * math.Pi
	daysPerYear = 365.24
)

var initial = [nb]body{
	{0, 0, 0, 0, 0, 0, solarMass},
	{4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
		1.66007664274403694e-03 * daysPerYear, 7.69901118419740425e-03 * daysPerYear,
		-6.90460016972063023e-05 * daysPerYear, 9.54791938424326609e-04 * solarMass},
	{8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
		-2.76742510726862411e-03 * daysPerYear, 4.99852801234917238e-03 * daysPerYear,
		2.30417297573763929e-05 * daysPerYear, 2.85885980666130812e-04 * solarMass},
	{1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
		2.96460137564761618e-03 * daysPerYear, 2.37847173959480950e-03 * daysPerYear,
		-2.96589568540237556e-05 * daysPerYear, 4.36624404335156298e-05 * solarMass},
	{1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
		2.68067772490389322e-03 * daysPerYear, 1.62824170038242295e-03 * daysPerYear,
		-9.51592254519715870e-05 * daysPerYear, 5.15138902046611451e-05 * solarMass},
}

func nbodyInit(b []body) {
	px, py, pz := 0.0, 0.0, 0.0
	for i := 0; i < nb; i++ {
		b[i] = initial[i]
		px += b[i].vx * b[i].mass
		py += b[i].vy * b[i].mass
		pz += b[i].vz * b[i].mass
	}
	b[0].vx = -px / solarMass
	b[0].vy = -py / solarMass
	b[0].vz = -pz / solarMass
}

func nbodyEnergy(b []body) float64 {
	e := 0.0
	for i := 0; i < nb; i++ {
		e += 0.5 * b[i].mass * (b[i].vx*b[i].vx + b[i].vy*b[i].vy + b[i].vz*b[i].vz)
		for j := i + 1; j < nb; j++ {
			dx, dy, dz := b[i].x-b[j].x, b[i].y-b[j].y, b[i].z-b[j].z
			e -= b[i].mass * b[j].mass / math.Sqrt(dx*dx+dy*dy+dz*dz)
		}
	}
	return e
}

func nbody(b []body, steps int, dt float64) float64 {
	for s := 0; s < steps; s++ {
		for i := 0; i < nb; i++ {
			for j := i + 1; j < nb; j++ {
				dx, dy, dz := b[i].x-b[j].x, b[i].y-b[j].y, b[i].z-b[j].z
				d2 := dx*dx + dy*dy + dz*dz
				mag := dt / (d2 * math.Sqrt(d2))
				b[i].vx -= dx * b[j].mass * mag
				b[i].vy -= dy * b[j].mass * mag
				b[i].vz -= dz * b[j].mass * mag
				b[j].vx += dx * b[i].mass * mag
				b[j].vy += dy * b[i].mass * mag
				b[j].vz += dz * b[i].mass * mag
			}
		}
		for i := 0; i < nb; i++ {
			b[i].x += dt * b[i].vx
			b[i].y += dt * b[i].vy
			b[i].z += dt * b[i].vz
		}
	}
	return nbodyEnergy(b)
}

var ma, mb, mc [matMax][matMax]float64

func matmul(n int) float64 {
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for k := 0; k < n; k++ {
				s += ma[i][k] * mb[k][j]
			}
			mc[i][j] = s
		}
	}
	t := 0.0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			t += mc[i][j]
		}
	}
	return t
}

// best runs kernel in a goroutine reps times and returns the best time and
// the result.
func best(kernel func() float64) (time.Duration, float64) {
	out := make(chan float64, 1)
	bestT := time.Duration(math.MaxInt64)
	r := 0.0
	for i := 0; i < reps; i++ {
		t0 := time.Now()
		go func() { out <- kernel() }()
		r = <-out
		if t := time.Since(t0); t < bestT {
			bestT = t
		}
	}
	return bestT, r
}

func main() {
	scale := 10
	if len(os.Args) > 1 {
		scale, _ = strconv.Atoi(os.Args[1])
	}
	scale = max(1, min(scale, 10))
	passes, steps, n := 5*scale, 120000*scale, 40*scale

	arr := make([]float64, sumN)
	for i := range arr {
		arr[i] = float64(i%1000) * 0.5
	}
	t, r := best(func() float64 { return sum(arr, passes) })
	fmt.Printf("bench=preempt_sum time_ns=%d result=%.9f\n", t.Nanoseconds(), r)

	bodies := make([]body, nb)
	t, r = best(func() float64 { nbodyInit(bodies); return nbody(bodies, steps, 0.01) })
	fmt.Printf("bench=preempt_nbody time_ns=%d result=%.9f\n", t.Nanoseconds(), r)

	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			ma[i][j] = float64((i*j)%7 + 1)
			mb[i][j] = float64((i+2*j)%5 + 1)
		}
	}
	t, r = best(func() float64 { return matmul(n) })
	fmt.Printf("bench=preempt_matmul time_ns=%d result=%.9f\n", t.Nanoseconds(), r)
}
