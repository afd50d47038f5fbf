import ArgumentParser
import Foundation
import HeraldCore
import HeraldServer
import Hummingbird

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the Herald server.")

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: "Address to listen on (env HERALD_HOST; default 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port to listen on (env HERALD_PORT; default 8080).")
    var port: Int?

    func run() async throws {
        let logger = store.bootstrapLogging()
        let database = try store.openStore(logger: logger)
        if let key = try await AdminBootstrap.ensureAdminKey(in: database, seed: Environment.value("HERALD_ADMIN_KEY"))
        {
            // Unbuffered, so a script reading our output sees the key before the server starts.
            FileHandle.standardOutput.write(Data("Platform admin key (shown once, keep it safe): \(key)\n".utf8))
        }
        let configuration = HeraldConfiguration(
            host: host ?? Environment.value("HERALD_HOST") ?? "127.0.0.1",
            port: try port ?? Environment.value("HERALD_PORT").map(Self.port) ?? 8080,
            openAPISpec: try? store.migrationsDirectory(backend: "sqlite").deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("api-spec/openapi.yaml")
        )
        let app = buildApplication(store: database, configuration: configuration, logger: logger)
        try await app.runService()
    }

    static func port(_ text: String) throws -> Int {
        guard let port = Int(text), (0...65535).contains(port) else {
            throw ValidationError("bad HERALD_PORT: \(text)")
        }
        return port
    }
}
