// Package acceptance holds tests that run the fleetport binary, built once
// per test run, as a user would: each command a child process with a
// deadline and a memory ceiling, its exit code, output and peak memory
// checked. It has no code of its own.
package acceptance
