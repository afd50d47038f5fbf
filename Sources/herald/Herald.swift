import ArgumentParser

@main
struct Herald: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "A multi-tenant webhook hub: Channex-style and OCTO webhooks, signed, retried, logged.",
        version: Herald.version,
        subcommands: [
            Serve.self, Migrate.self, Tenants.self, Keys.self, PortalLinksCommand.self, Webhooks.self, Deliveries.self,
            Secrets.self, Purge.self,
            Sink.self,
            Bench.self,
        ]
    )

    /// Herald's version, as `herald --version` prints it and the OpenAPI spec names it.
    static let version = "0.1.0"
}
