//go:build !race

package vhdx

const raceEnabled = false
