import Foundation
import HeraldPostgres
import Logging
import PostgresNIO
import Testing

/// The PostgreSQL URL's `sslmode` is honoured, against a real server with TLS on
/// (`tools/postgres.sh tls`: a throw-away CA and a certificate for `localhost`).
@Suite struct PostgresTLSTests {
    static let logger = Logger(label: "herald-test-tls")

    /// Whether a connection made from `url` is encrypted (`pg_stat_ssl`), through the pool Herald
    /// serves with; the connection is first made alone (``PostgresStore/checkConnection(url:logger:)``,
    /// as Herald does at start), which fails at once with the cause where the pool would retry.
    static func encrypted(_ url: String) async throws -> Bool {
        try await PostgresStore.checkConnection(url: url, logger: logger)
        let client = try PostgresStore.client(url: url, maxConnections: 1)
        return try await TestPostgres.with(client) { client in
            let rows = try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            return try await rows.collect().first?.decode(Bool.self) ?? false
        }
    }

    /// The one line Herald fails with when `url` cannot connect.
    static func refusal(_ url: String) async -> String? {
        do {
            try await PostgresStore.checkConnection(url: url, logger: logger)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func sslmodeIsHonouredAgainstAServerWithTLS() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-tls-\(UUID())").path
        let script = TestPostgres.tools.appendingPathComponent("postgres.sh").path
        // The script's output may start with the cluster owner's complaints about our directory.
        let output = try TestPostgres.run(["bash", script, "start", directory])
        let url = try #require(output.split(separator: "\n").last.map(String.init))
        defer { _ = try? TestPostgres.run(["bash", script, "stop", directory]) }
        try TestPostgres.run(["bash", script, "tls", directory, url])
        let port = try #require(URLComponents(string: url)?.port)
        let ca = directory + "/ca.pem"
        let byName = "postgres://herald@localhost:\(port)/herald"
        let byAddress = "postgres://herald@127.0.0.1:\(port)/herald"

        #expect(try await Self.encrypted(byAddress + "?sslmode=disable") == false)
        // On a loopback host the default is prefer: TLS when the server offers it.
        #expect(try await Self.encrypted(byAddress) == true)
        #expect(try await Self.encrypted(byAddress + "?sslmode=require") == true)
        #expect(try await Self.encrypted(byName + "?sslmode=verify-full&sslrootcert=\(ca)") == true)
        #expect(try await Self.encrypted(byAddress + "?sslmode=verify-ca&sslrootcert=\(ca)") == true)
        // The certificate names localhost, not 127.0.0.1; and the system's roots never signed it.
        let wrongName = await Self.refusal(byAddress + "?sslmode=verify-full&sslrootcert=\(ca)")
        #expect(wrongName?.hasPrefix("cannot connect to PostgreSQL at 127.0.0.1:\(port): ") == true)
        #expect(
            wrongName?.contains("certificate") == true || wrongName?.contains("Certificate") == true,
            "\(wrongName ?? "")")
        let unknownCA = await Self.refusal(byName + "?sslmode=verify-full")
        #expect(unknownCA?.hasPrefix("cannot connect to PostgreSQL at localhost:\(port): ") == true)
    }

    @Test func aServerWithoutTLSRefusesWhatRequiresIt() async throws {
        let url = try await TestPostgres.shared.serverURL()
        #expect(try await Self.encrypted(url + "?sslmode=prefer") == false)
        let refused = await Self.refusal(url + "?sslmode=require")
        #expect(refused?.contains("cannot connect to PostgreSQL") == true)
        #expect(
            refused?.lowercased().contains("ssl") == true || refused?.lowercased().contains("tls") == true,
            "\(refused ?? "")")
        // Herald itself fails with that line at once, where its pool would wait and retry.
        let run = try await CommandLineTests.herald(["migrate", "--database", url + "?sslmode=require"])
        #expect(run.status == 1)
        #expect(run.errors == "herald: \(refused ?? "")\n")
    }

    @Test func theDefaultIsRequireOffLoopbackAndAnUnknownModeIsRefused() throws {
        func mode(_ url: String) throws -> PostgresTLS.Mode {
            let components = try #require(URLComponents(string: url))
            return try PostgresTLS(url: components, host: try #require(components.host)).mode
        }
        #expect(try mode("postgres://u@db.internal:5432/h") == .require)
        #expect(try mode("postgres://u@10.0.0.5/h") == .require)
        #expect(try mode("postgres://u@localhost/h") == .prefer)
        #expect(try mode("postgres://u@127.0.0.1/h") == .prefer)
        #expect(try mode("postgres://u@[::1]/h") == .prefer)
        #expect(try mode("postgres://u@db.internal/h?sslmode=disable") == .disable)
        #expect(throws: PostgresURLError.self) { try mode("postgres://u@db.internal/h?sslmode=maybe") }
        do {
            _ = try mode("postgres://u@db.internal/h?sslmode=maybe")
        } catch {
            #expect(
                "\(error)".contains("sslmode 'maybe' is not one of disable, prefer, require, verify-ca, verify-full"))
        }
    }
}
