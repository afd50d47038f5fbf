import Configuration
import Foundation
import HeraldCore
import HeraldDelivery
import SystemPackage

/// Reads declared ``Setting``s with swift-configuration from three sources in order: the flags,
/// the `HERALD_*` variables, the JSON file `--config` names; then the declared default. Within a
/// source a setting's keys are tried in their order. A value of the wrong kind or out of range is
/// refused, naming the flag and the variable.
public struct SettingsReader: Sendable {
    /// One reader per source, in order of precedence.
    let sources: [ConfigReader]

    /// The settings of a command: `arguments` are its flags (`--port 8080` or `--port=8080`).
    public static func load(
        arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
        declared: [Setting]
    ) async throws -> SettingsReader {
        // An empty variable counts as unset, as a shell user means it.
        let variables = environment.filter { !$0.value.isEmpty }
        var sources = [
            ConfigReader(provider: InMemoryProvider(name: "flags", values: try flags(arguments, declared: declared))),
            ConfigReader(
                provider: EnvironmentVariablesProvider(environmentVariables: variables).prefixKeys(with: "herald")),
        ]
        if declared.contains(HeraldSettings.config),
            let path = try SettingsReader(sources: sources).text(HeraldSettings.config)
        {
            do {
                sources.append(ConfigReader(provider: try await FileProvider<JSONSnapshot>(filePath: FilePath(path))))
            } catch {
                throw SettingError("cannot read the config file \(path): \(error)")
            }
        }
        return SettingsReader(sources: sources)
    }

    /// The flags as values by key: each value whole (commas and leading dashes included), each
    /// setting at most once; unknown flags refused with the nearest known one.
    static func flags(_ arguments: [String], declared: [Setting]) throws -> [AbsoluteConfigKey: ConfigValue] {
        var byFlag: [String: (setting: Setting, key: String)] = [:]
        for setting in declared where !setting.isSecret {
            for key in setting.keys { byFlag[Setting.flag(for: key)] = (setting, key) }
        }
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        var given = Set<String>()
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            let name = String(argument.prefix { $0 != "=" })
            guard let (setting, key) = byFlag[name] else {
                guard argument.hasPrefix("-") else { throw SettingError("unexpected argument \(argument)") }
                let near = byFlag.keys.min { distance($0, name) < distance($1, name) }
                let hint = near.map { distance($0, name) <= 3 ? "; did you mean \($0)?" : "" } ?? ""
                throw SettingError("unknown option \(name)\(hint)")
            }
            var value: String
            if name.count < argument.count {
                value = String(argument.dropFirst(name.count + 1))
            } else {
                index += 1
                guard index < arguments.endIndex else { throw SettingError("\(name) needs a value") }
                value = arguments[index]
            }
            guard given.insert(setting.key).inserted else { throw SettingError("\(setting.flag) is given twice") }
            let content: ConfigContent
            switch setting.kind {
            case .int:
                guard let number = Int(value) else { throw setting.refusal(value) }
                content = .int(number)
            case .double:
                guard let number = Double(value) else { throw setting.refusal(value) }
                content = .double(number)
            case .text, .choice:
                content = .string(value)
            }
            values[AbsoluteConfigKey([key])] = ConfigValue(content, isSecret: setting.isSecret)
            index += 1
        }
        return values
    }

    /// The value given for `setting` by the first source that has one; nil when none has. A value
    /// that is there but not of the kind `read` asks for is refused.
    func given<Value>(_ setting: Setting, _ read: (ConfigReader, ConfigKey, Bool) -> Value?) throws -> Value? {
        for source in sources {
            for name in setting.keys {
                let key = ConfigKey(name)
                if let value = read(source, key, setting.isSecret) { return value }
                if let text = source.string(forKey: key, isSecret: setting.isSecret) { throw setting.refusal(text) }
            }
        }
        return nil
    }

    public func text(_ setting: Setting) throws -> String? {
        try givenText(setting) ?? setting.defaultText
    }

    /// The text a source gave for `setting`, without the default: nil when none gave one.
    public func givenText(_ setting: Setting) throws -> String? {
        let value = try given(setting) { $0.string(forKey: $1, isSecret: $2) }
        guard case .choice(let choices) = setting.kind, let value else { return value }
        guard choices.contains(value.lowercased()) else { throw setting.refusal(value) }
        return value.lowercased()
    }

    public func int(_ setting: Setting) throws -> Int {
        guard let value = try optionalInt(setting) else { preconditionFailure("\(setting.key) has no default") }
        return value
    }

    /// An int setting that may be absent (no default): nil when no source gives it.
    public func optionalInt(_ setting: Setting) throws -> Int? {
        guard case .int(let range) = setting.kind else { preconditionFailure("\(setting.key) is not an int") }
        guard
            let value = try given(setting, { $0.int(forKey: $1, isSecret: $2) })
                ?? setting.defaultText.flatMap(Int.init)
        else { return nil }
        guard range.contains(value) else {
            throw SettingError("\(setting.flag) (\(setting.variable)) must be within \(setting.valueText)")
        }
        return value
    }

    public func double(_ setting: Setting) throws -> Double {
        guard case .double(let range) = setting.kind else { preconditionFailure("\(setting.key) is not a number") }
        // A JSON file may give a whole number.
        let value =
            try given(setting) { source, key, secret in
                source.double(forKey: key, isSecret: secret)
                    ?? source.int(forKey: key, isSecret: secret).map(Double.init)
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
        let tenant = try double(HeraldSettings.tenantRateLimit)
        let failedAuth = try double(HeraldSettings.failedAuthRateLimit)
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
                publisher: .init(perSecond: publisher, burst: max(1, publisher * 4)),
                perTenant: .init(perSecond: tenant, burst: max(1, tenant * 4)),
                failedAuthentications: .init(perSecond: failedAuth, burst: max(1, failedAuth * 10))))
        configuration.servesAPI = role != "worker"
        configuration.webhookQuota = try int(HeraldSettings.webhookQuota)
        configuration.trustedProxies = try CIDR.list(try text(HeraldSettings.trustedProxies) ?? "")
            .mapError { SettingError("\(HeraldSettings.trustedProxies.flag): \($0)") }
            .get()
        configuration.headerTimeout = .seconds(try int(HeraldSettings.headerTimeout))
        configuration.adminPort = try optionalInt(HeraldSettings.adminPort)
        configuration.adminHost = try text(HeraldSettings.adminHost) ?? "127.0.0.1"
        configuration.metricsPerTenant = try text(HeraldSettings.metricsPerTenant) == "on"
        if let url = try text(HeraldSettings.publicURL) {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme), parsed.host != nil,
                parsed.query == nil
            else {
                throw SettingError(
                    "\(HeraldSettings.publicURL.flag) (\(HeraldSettings.publicURL.variable)) takes an http(s) URL "
                        + "without a query, e.g. https://hooks.example.com, not \(url)")
            }
            configuration.publicURL = url
        }
        configuration.portalIdleTimeout = .seconds(60 * (try int(HeraldSettings.portalIdleMinutes)))
        let retentionDays = try double(HeraldSettings.retentionDays)
        configuration.retention = retentionDays > 0 ? Retention(age: retentionDays * 86_400) : nil
        configuration.limits.maxBytes = try int(HeraldSettings.maxBodyBytes)
        configuration.limits.maxEventBytes = try int(HeraldSettings.maxEventBytes)
        configuration.limits.maxBatchBytes = max(configuration.limits.maxBatchBytes, configuration.limits.maxEventBytes)
        return configuration
    }
}

extension Setting {
    /// The error for `value`, given where this setting's kind of value belongs.
    func refusal(_ value: String) -> SettingError {
        SettingError("\(flag) (\(variable)) takes \(valueText), not \(value)")
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
