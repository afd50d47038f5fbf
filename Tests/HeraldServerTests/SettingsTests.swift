import Foundation
import HeraldCore
import HeraldServer
import Testing

/// Settings are declared once: read from flags, variables and a config file in that order, refused
/// clearly, and documented from the same declarations.
@Suite struct SettingsTests {
    func read(_ arguments: [String], _ environment: [String: String] = [:]) async throws -> SettingsReader {
        try await SettingsReader.load(arguments: arguments, environment: environment, declared: HeraldSettings.serve)
    }

    @Test func aFlagBeatsAVariableWhichBeatsTheConfigFileWhichBeatsTheDefault() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("herald-settings-\(UUID().text).json")
        try Data(#"{"port": 7001, "requestTimeout": 20, "leaseSeconds": 90, "host": "0.0.0.0"}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let settings = try await read(
            ["--port", "7003", "--config", file.path], ["HERALD_PORT": "7002", "HERALD_REQUEST_TIMEOUT": "30"])
        let configuration = try settings.serverConfiguration()
        #expect(configuration.port == 7003)
        #expect(configuration.timeouts.total == .seconds(30))
        #expect(configuration.dispatcher.lease == 90)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.timeouts.connect == .seconds(5))
        #expect(configuration.dispatcher.concurrency == 64)
    }

    @Test func olderSpellingsAreStillReadInTheirSource() async throws {
        let settings = try await read(
            ["--concurrency=8"],
            [
                "HERALD_DATABASE_URL": "postgres://h@db/herald", "HERALD_DATABASE": "old.sqlite",
                "HERALD_DELIVERY_CONCURRENCY": "5",
            ])
        // A flag beats a variable, whichever spelling each uses.
        #expect(try settings.serverConfiguration().dispatcher.concurrency == 8)
        // HERALD_DATABASE_URL wins over HERALD_DATABASE, as it always did.
        #expect(try settings.text(HeraldSettings.database) == "postgres://h@db/herald")
    }

    @Test func aValueIsTakenWholeCommasAndAll() async throws {
        let flag = try await read(["--allow-targets", "127.0.0.0/8,::1", "--database=postgres://u:p,w@db/h"])
        #expect(try flag.serverConfiguration().targetPolicy.allowed.count == 2)
        #expect(try flag.text(HeraldSettings.database) == "postgres://u:p,w@db/h")
        let variable = try await read([], ["HERALD_ALLOW_TARGETS": "127.0.0.0/8,::1"])
        #expect(try variable.serverConfiguration().targetPolicy.allowed.count == 2)
    }

    @Test func rolesSplitTheAPIAndDelivery() async throws {
        let worker = try await read(["--role", "worker"]).serverConfiguration()
        #expect(worker.runsDispatcher && !worker.servesAPI)
        let api = try await read([], ["HERALD_ROLE": "API"]).serverConfiguration()
        #expect(!api.runsDispatcher && api.servesAPI)
    }

    @Test(
        arguments: [
            (["--prot", "1"], [:], "unknown option --prot; did you mean --port?"),
            ([], ["HERALD_PORT": "eighty"], "--port (HERALD_PORT) takes 0–65535, not eighty"),
            (["--port", "70000"], [:], "--port (HERALD_PORT) must be within 0–65535"),
            (["--role", "boss"], [:], "--role (HERALD_ROLE) takes api, worker, all, not boss"),
            (["--lease-seconds", "10"], [:], "the lease (10.0 s) must be longer than the request timeout (15 s)"),
            (["--allow-targets", "nowhere"], [:], "--allow-targets: 'nowhere' is not an address or CIDR range"),
            (["--admin-key", "hrld_x"], [:], "unknown option --admin-key"),
            (["--port", "1", "--port", "2"], [:], "--port is given twice"),
            (["--port"], [:], "--port needs a value"),
            (["serve"], [:], "unexpected argument serve"),
            (["--port", "-1"], [:], "--port (HERALD_PORT) must be within 0–65535"),
        ] as [([String], [String: String], String)])
    func badSettingsAreRefusedNamingTheFlagAndVariable(
        arguments: [String], environment: [String: String], message: String
    ) async throws {
        let error = await #expect(throws: SettingError.self) {
            _ = try await read(arguments, environment).serverConfiguration()
        }
        #expect(error?.description == message)
    }

    @Test func sqliteCommitsReachTheDiskUnlessTheOperatorChoosesOtherwise() async throws {
        #expect(try await read([]).text(HeraldSettings.sqliteSynchronous) == "full")
        #expect(try await read(["--sqlite-synchronous", "NORMAL"]).text(HeraldSettings.sqliteSynchronous) == "normal")
    }

    @Test func anEmptyVariableCountsAsUnset() async throws {
        #expect(try await read([], ["HERALD_PORT": ""]).serverConfiguration().port == 8080)
    }

    @Test func theReadmeTableIsTheDeclarations() throws {
        let readme = try String(
            contentsOf: TestPostgres.tools.deletingLastPathComponent().appendingPathComponent("README.md"),
            encoding: .utf8)
        let begin = "<!-- settings:begin -->\n"
        let end = "\n<!-- settings:end -->"
        let start = try #require(readme.range(of: begin))
        let stop = try #require(readme.range(of: end, range: start.upperBound..<readme.endIndex))
        let table = String(readme[start.upperBound..<stop.lowerBound])
        #expect(
            table == HeraldSettings.markdownTable(),
            "README settings table, as generated:\n\(HeraldSettings.markdownTable())")
    }

    @Test func serveHelpListsEveryDeclaredSetting() throws {
        let help = try TestPostgres.run([try HeraldProcess.binary.path, "serve", "--help"])
        func words(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        #expect(words(help).contains(words(HeraldSettings.help(HeraldSettings.serve))))
        for setting in HeraldSettings.serve {
            #expect(help.contains(setting.variable))
            #expect(help.contains(setting.flag) != setting.isSecret)
        }
    }
}
