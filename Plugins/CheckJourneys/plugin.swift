import PackagePlugin

@main struct CheckJourneys: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {}
}
