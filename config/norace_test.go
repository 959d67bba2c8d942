//go:build !race

package config

const raceScale = 1 // see checkTimeLimit
