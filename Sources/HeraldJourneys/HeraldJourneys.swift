// The example journeys in Journeys/ are checked during `swift build` by the JourneyBuildCheck
// plugin attached to this target: a broken journey fails the build with its diagnostics.

/// Where the package keeps its journeys, relative to the package root.
public enum HeraldJourneys {
    public static let directory = "Journeys"
}
