// Package archtest holds the test that keeps fleetport's imports flowing one
// way, as the package table in the style guide lays them out. It has no
// code of its own.
package archtest
