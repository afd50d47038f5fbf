import Configuration
import Foundation
import HeraldCore
import HeraldDelivery
import SystemPackage

/// Reads declared ``Setting``s with swift-configuration: flags first, then `HERALD_*` variables,
/// then the JSON file `--config` names, then the declared default. A value outside its range or of
/// the wrong kind is refused, naming the flag and the variable.
public struct SettingsReader: Sendable {
    let reader: ConfigReader
    let declared: [Setting]

    init(reader: ConfigReader, declared: [Setting]) {
        self.reader = reader
        self.declared = declared
    }

    /// The settings of a command: `arguments` are its flags (`--port 8080` or `--port=8080`).
    public static func load(
        arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
        declared: [Setting]
    ) async throws -> SettingsReader {
        try check(arguments, against: declared)
        // An empty variable counts as unset, as a shell user means it.
        let variables = environment.filter { !$0.value.isEmpty }
        var providers: [any ConfigProvider] = [
            CommandLineArgumentsProvider(arguments: ["herald"] + arguments),
            EnvironmentVariablesProvider(environmentVariables: variables).prefixKeys(with: "herald"),
        ]
        let withoutFile = SettingsReader(reader: ConfigReader(providers: providers), declared: declared)
        if declared.contains(HeraldSettings.config), let path = try withoutFile.text(HeraldSettings.config) {
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(path)))
            } catch {
                throw SettingError("cannot read the config file \(path): \(error)")
            }
        }
        return SettingsReader(reader: ConfigReader(providers: providers), declared: declared)
    }

    /// Refuses flags that no declared setting has.
    static func check(_ arguments: [String], against declared: [Setting]) throws {
        let known = Set(declared.flatMap(\.flags))
        for argument in arguments where argument.hasPrefix("-") {
            let name = String(argument.prefix { $0 != "=" })
            guard known.contains(name) else {
                let near = known.min { distance($0, name) < distance($1, name) }
                let hint = near.map { distance($0, name) <= 3 ? "; did you mean \($0)?" : "" } ?? ""
                throw SettingError("unknown option \(name)\(hint)")
            }
        }
    }

    /// The value given for `setting` under its first key that has one, through every source; nil
    /// when none has. A value that is there but not of the kind `read` asks for is refused.
    func given<Value>(_ setting: Setting, _ read: (ConfigKey, Bool) -> Value?) throws -> Value? {
        for name in setting.keys {
            let key = ConfigKey(name)
            if let value = read(key, setting.isSecret) { return value }
            if let text = reader.string(forKey: key, isSecret: setting.isSecret) {
                throw SettingError("\(setting.flag) (\(setting.variable)) takes \(setting.valueText), not \(text)")
            }
        }
        return nil
    }

    public func text(_ setting: Setting) throws -> String? {
        let value =
            try given(setting) { reader.string(forKey: $0, isSecret: $1) } ?? setting.defaultText
        guard case .choice(let choices) = setting.kind, let value else { return value }
        guard choices.contains(value.lowercased()) else {
            throw SettingError("\(setting.flag) (\(setting.variable)) takes \(setting.valueText), not \(value)")
        }
        return value.lowercased()
    }

    public func int(_ setting: Setting) throws -> Int {
        guard case .int(let range) = setting.kind else { preconditionFailure("\(setting.key) is not an int") }
        let value = try given(setting) { reader.int(forKey: $0, isSecret: $1) } ?? Int(setting.defaultText!)!
        guard range.contains(value) else {
            throw SettingError("\(setting.flag) (\(setting.variable)) must be within \(setting.valueText)")
        }
        return value
    }

    public func double(_ setting: Setting) throws -> Double {
        guard case .double(let range) = setting.kind else { preconditionFailure("\(setting.key) is not a number") }
        // A JSON file may give a whole number.
        let value =
            try given(setting) { key, secret in
                reader.double(forKey: key, isSecret: secret)
                    ?? reader.int(forKey: key, isSecret: secret).map(Double.init)
            } ?? Double(setting.defaultText!)!
        guard range.contains(value) else {
            throw SettingError("\(setting.flag) (\(setting.variable)) must be within \(setting.valueText)")
        }
        return value
    }

    /// What `herald serve` runs with, from ``HeraldSettings/serve``.
    public func serverConfiguration() throws -> HeraldConfiguration {
        var dispatcher = DispatcherConfiguration()
        dispatcher.concurrency = try int(HeraldSettings.deliveryConcurrency)
        dispatcher.batchSize = min(dispatcher.concurrency, 64)
        dispatcher.lease = try double(HeraldSettings.leaseSeconds)
        dispatcher.lifecycle = DeliveryLifecycle(disableAfter: try double(HeraldSettings.disableAfterHours) * 3600)
        let total = try int(HeraldSettings.requestTimeout)
        guard dispatcher.lease > Double(total) else {
            // A lease shorter than a send would let another worker send the same delivery meanwhile.
            throw SettingError("the lease (\(dispatcher.lease) s) must be longer than the request timeout (\(total) s)")
        }
        let role = try text(HeraldSettings.role)
        let perKey = try double(HeraldSettings.rateLimit)
        let publisher = try double(HeraldSettings.publisherRateLimit)
        var configuration = HeraldConfiguration(
            host: try text(HeraldSettings.host) ?? "127.0.0.1",
            port: try int(HeraldSettings.port),
            timeouts: .init(connect: .seconds(try int(HeraldSettings.connectTimeout)), total: .seconds(total)),
            dispatcher: dispatcher,
            secretGracePeriod: try double(HeraldSettings.secretGraceHours) * 3600,
            runsDispatcher: role != "api",
            targetPolicy: try TargetPolicy.allowing(try text(HeraldSettings.allowTargets) ?? "")
                .mapError { SettingError($0.description) }.get(),
            rateLimits: RateLimits(
                perKey: .init(perSecond: perKey, burst: max(1, perKey * 5)),
                publisher: .init(perSecond: publisher, burst: max(1, publisher * 4))))
        configuration.servesAPI = role != "worker"
        configuration.limits.maxBytes = try int(HeraldSettings.maxBodyBytes)
        configuration.limits.maxEventBytes = try int(HeraldSettings.maxEventBytes)
        configuration.limits.maxBatchBytes = max(configuration.limits.maxBatchBytes, configuration.limits.maxEventBytes)
        return configuration
    }
}

/// A setting that cannot be used, said the way the command line shows it.
public struct SettingError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Edit distance, for "did you mean".
private func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
    var row = Array(0...b.count)
    for i in 1...a.count {
        var diagonal = row[0]
        row[0] = i
        for j in 1...b.count {
            let above = row[j]
            row[j] = min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1))
            diagonal = above
        }
    }
    return row[b.count]
}
