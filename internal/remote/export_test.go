package remote

// SlowAnswers is slowAnswers for the external tests.
func SlowAnswers() int64 { return slowAnswers.Load() }
