//go:build !race

package sites

const raceScale = 1 // see checkTimeLimit
