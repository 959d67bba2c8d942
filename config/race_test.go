//go:build race

package config

const raceScale = 10 // see checkTimeLimit
