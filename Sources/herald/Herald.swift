import ArgumentParser

@main
struct Herald: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "A multi-tenant webhook hub: Channex-style and OCTO webhooks, signed, retried, logged.",
        subcommands: [Serve.self, Migrate.self, Sink.self, Bench.self]
    )
}
