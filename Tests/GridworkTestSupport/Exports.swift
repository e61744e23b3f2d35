/// The package's one seeded generator (`SplitMix64`), re-exported so that a test needs only
/// `import GridworkTestSupport` for reproducible random cases.
@_exported import SeededRandom
