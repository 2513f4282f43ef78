//go:build !linux

package cputime

import "time"

func threadTime() (time.Duration, error) { return 0, ErrUnsupported }

func processTime() (time.Duration, error) { return 0, ErrUnsupported }
