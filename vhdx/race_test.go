//go:build race

package vhdx

// raceEnabled lets slow randomized tests do fewer rounds under -race.
const raceEnabled = true
