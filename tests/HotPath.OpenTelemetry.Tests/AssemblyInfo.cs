// The providers' listeners are process-wide: one test at a time sees only its own spans.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
