//go:build race

package sites

const raceScale = 10 // see checkTimeLimit
