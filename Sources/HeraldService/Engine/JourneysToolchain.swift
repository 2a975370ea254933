/// The real toolchain: the journey compiler and the journey engine.
///
/// Wired when the compiler (`JourneyCompiler.compile(directory:)`) and the engine
/// (`JourneyEngine(catalog:retainedPrograms:options:)`) are merged into this branch.
public enum JourneysToolchain {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String {
            "the journey compiler is not part of this build yet; run with --engine probe"
        }
    }

    public static func make() throws -> any JourneyToolchain {
        throw Unavailable()
    }
}
