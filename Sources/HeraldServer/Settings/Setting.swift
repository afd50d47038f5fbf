import Foundation

/// One setting of `herald`, declared once: its key, from which its flag (`--request-timeout`) and
/// its environment variable (`HERALD_REQUEST_TIMEOUT`) follow the way swift-configuration encodes
/// them, its kind and range, its default and its help. The flag help and the README's table are
/// generated from these declarations.
public struct Setting: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case int(ClosedRange<Int>)
        case double(ClosedRange<Double>)
        case text
        case choice([String])
    }

    /// Every key it is read under, in order of precedence within one source (flags, variables,
    /// the config file): ``key`` and older spellings still read.
    public var keys: [String]
    /// The key that names the flag and variable shown.
    public var key: String
    public var kind: Kind
    /// The default as the help shows it; nil where there is none.
    public var defaultText: String?
    public var help: String
    /// A secret: read from the environment (or the config file) only, never from a flag that
    /// every user of the machine sees in the process list, and kept out of reports.
    public var isSecret: Bool

    public init(
        _ keys: [String], shown: String? = nil, _ kind: Kind, default defaultText: String?, help: String,
        isSecret: Bool = false
    ) {
        precondition(!keys.isEmpty)
        self.keys = keys
        self.key = shown ?? keys[0]
        self.kind = kind
        self.defaultText = defaultText
        self.help = help
        self.isSecret = isSecret
    }

    /// The flags that set it: none for a secret.
    public var flags: [String] { isSecret ? [] : keys.map(Self.flag(for:)) }

    /// `--request-timeout` for `requestTimeout`.
    public var flag: String { Self.flag(for: key) }

    /// `HERALD_REQUEST_TIMEOUT` for `requestTimeout`.
    public var variable: String { Self.variable(for: key) }

    static func flag(for key: String) -> String { "--" + words(key).joined(separator: "-") }

    static func variable(for key: String) -> String {
        (["HERALD"] + words(key).map { $0.uppercased() }).joined(separator: "_")
    }

    /// The lowercase words of a camelCase key.
    static func words(_ key: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previous: Character?
        for character in key {
            if let previous, previous.isLowercase || previous.isNumber, character.isUppercase {
                words.append(current)
                current = ""
            }
            current.append(character)
            previous = character
        }
        if !current.isEmpty { words.append(current) }
        return words.map { $0.lowercased() }
    }

    /// What values the setting takes, for the help.
    public var valueText: String {
        switch kind {
        case .int(let range):
            range.upperBound == Int.max ? "≥ \(range.lowerBound)" : "\(range.lowerBound)–\(range.upperBound)"
        case .double(let range): "\(Self.number(range.lowerBound))–\(Self.number(range.upperBound))"
        case .text: "text"
        case .choice(let choices): choices.joined(separator: ", ")
        }
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
