import Crypto
import Foundation

/// Seals the secrets a store writes (AES-256-GCM) and opens them again: the key ring of
/// `HERALD_ENCRYPTION_KEY` (sealing and opening) and `HERALD_PREVIOUS_ENCRYPTION_KEYS` (opening only,
/// while `herald secrets rotate-key` re-seals what they sealed).
///
/// A sealed value reads `sealed:v1:<key id>:<base64 of nonce, ciphertext and tag>`. The key id
/// names the key without revealing it, so a value says which key opens it, and a database sealed
/// with a key Herald was not given is refused at start instead of failing row by row. Each value
/// is bound to its column and row (the GCM associated data), so a sealed secret copied into
/// another webhook's row does not open there. A value without the prefix is clear text, as rows
/// written before a key was set are: no clear value of a sealed column (a JSON array or object,
/// an `http(s)://` URL) can begin with it.
public struct SecretBox: Sendable {
    /// One AES-256 key and its id.
    public struct Key: Sendable {
        /// 16 hex digits of a value derived from the key (HKDF, its own label): it names the key
        /// without revealing anything of the key that seals.
        public let id: String
        let key: Material

        /// A key from 32 bytes in base64 (standard or URL-safe alphabet, padding optional).
        public init(base64 text: String) throws(KeyProblem) {
            var normalized = text.trimmingCharacters(in: .whitespacesAndNewlines)
                .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            normalized += String(repeating: "=", count: (4 - normalized.count % 4) % 4)
            guard let bytes = Data(base64Encoded: normalized) else { throw .notBase64 }
            guard bytes.count == 32 else { throw .length(bytes.count) }
            // Random bytes have about 30 distinct values in 32, and are all printable one time in 10^14:
            // a key of a few repeated bytes, or a passphrase in base64, was typed, not drawn.
            guard Set(bytes).count >= 16, !bytes.allSatisfy({ (0x20...0x7E).contains($0) }) else {
                throw .lowVariety
            }
            self.init(SymmetricKey(data: bytes))
        }

        /// Two keys derived from the operator's, one for sealing and one for the id, so the id is
        /// computed with no key that encrypts.
        init(_ key: SymmetricKey) {
            func derive(_ label: String, _ count: Int) -> SymmetricKey {
                HKDF<SHA256>.deriveKey(
                    inputKeyMaterial: key, info: Data(label.utf8), outputByteCount: count)
            }
            self.key = Material(derive("herald sealing v1", 32))
            var digits: [UInt8] = []
            derive("herald key id v1", 8).withUnsafeBytes { Hex.append($0, to: &digits) }
            id = String(decoding: digits, as: UTF8.self)
        }

        /// A new random key, base64 as `HERALD_ENCRYPTION_KEY` takes it.
        public static func generate() -> String {
            Data(KeyMaterial.randomBytes(32)).base64EncodedString()
        }
    }

    /// A key's bytes. `SymmetricKey` is an immutable value that swift-crypto has not marked
    /// `Sendable`; nothing here changes it after it is made.
    final class Material: @unchecked Sendable {
        let key: SymmetricKey
        init(_ key: SymmetricKey) { self.key = key }
    }

    /// Why a configured key cannot be used.
    public enum KeyProblem: Error, Equatable, CustomStringConvertible {
        case notBase64
        case length(Int)
        case lowVariety

        public var description: String {
            let make = "use 32 random bytes in base64, e.g. `openssl rand -base64 32`"
            return switch self {
            case .notBase64: "is not base64; \(make)"
            case .length(let count): "decodes to \(count) bytes, not 32; \(make)"
            case .lowVariety: "is not random (too few distinct bytes, or a passphrase); \(make)"
            }
        }
    }

    /// Why a stored value could not be opened.
    public enum OpenError: Error, Equatable, CustomStringConvertible {
        /// Sealed with a key that is not in the ring.
        case unknownKey(String)
        /// Not a well-formed sealed value, or altered, or moved from another row or column.
        case damaged

        public var description: String {
            switch self {
            case .unknownKey(let id):
                "a value is sealed with key \(id), which is neither HERALD_ENCRYPTION_KEY nor among "
                    + "HERALD_PREVIOUS_ENCRYPTION_KEYS"
            case .damaged: "a sealed value does not open: it was altered or moved from another row"
            }
        }
    }

    /// The key new values are sealed with; nil stores them in clear.
    public let current: Key?
    private let keys: [String: Material]

    /// `previous` keys only open; `current` seals and opens.
    public init(current: Key?, previous: [Key] = []) {
        self.current = current
        var keys: [String: Material] = [:]
        for key in previous + (current.map { [$0] } ?? []) { keys[key.id] = key.key }
        self.keys = keys
    }

    /// No key: values are written in clear, and only clear values open.
    public static let clear = SecretBox(current: nil)

    /// The ids of every key that opens.
    public var keyIds: Set<String> { Set(keys.keys) }

    static let prefix = "sealed:v1:"
    /// Where a stored value's key id is, for a store to count values by key in SQL (1-based, as
    /// SQL's `substr` counts): `substr(value, keyIdStart, keyIdLength)` where the value begins with ``sealedPrefix``.
    public static let sealedPrefix = prefix
    public static let keyIdStart = prefix.count + 1
    public static let keyIdLength = 16

    /// `text` sealed with the current key for the place `context` names; `text` itself without a key.
    public func seal(_ text: String, context: String) -> String {
        guard let current else { return text }
        // A 96-bit random nonce per value: NIST's bound of 2^32 values a key is far beyond a webhook table.
        let box = try! AES.GCM.seal(Data(text.utf8), using: current.key.key, authenticating: Data(context.utf8))
        return Self.prefix + current.id + ":" + box.combined!.base64EncodedString()
    }

    /// The text `stored` holds: opened with the key its id names, or `stored` itself when it is clear.
    public func open(_ stored: String, context: String) throws(OpenError) -> String {
        guard let id = Self.keyId(of: stored) else { return stored }
        let rest = stored.dropFirst(Self.prefix.count + Self.keyIdLength)
        guard id.count == Self.keyIdLength, rest.first == ":" else { throw .damaged }
        guard let key = keys[id] else { throw .unknownKey(id) }
        let body = rest.dropFirst()
        guard let data = Data(base64Encoded: String(body)), let box = try? AES.GCM.SealedBox(combined: data),
            let plain = try? AES.GCM.open(box, using: key.key, authenticating: Data(context.utf8)),
            let text = String(data: plain, encoding: .utf8)
        else { throw .damaged }
        return text
    }

    /// The id of the key that sealed `stored` (what follows the prefix, well formed or not); nil
    /// when it is clear.
    public static func keyId(of stored: String) -> String? {
        guard stored.hasPrefix(prefix) else { return nil }
        return String(stored.dropFirst(prefix.count).prefix(keyIdLength))
    }

    /// Whether `stored` is already as this box would write it: sealed with the current key, or
    /// clear when there is none.
    public func isCurrent(_ stored: String) -> Bool {
        Self.keyId(of: stored) == current?.id
    }
}

/// How many webhooks are sealed with each key, as a store counts them (``WebhookStore/sealingCensus()``).
public struct SealingCensus: Sendable, Equatable {
    /// Webhooks by the id of the key their secrets are sealed with.
    public var sealed: [String: Int]
    /// Webhooks whose secrets are in clear.
    public var clear: Int

    public init(sealed: [String: Int] = [:], clear: Int = 0) {
        self.sealed = sealed
        self.clear = clear
    }

    /// What the store holds that `box` cannot open: key ids and their counts.
    public func unopenable(by box: SecretBox) -> [String: Int] {
        sealed.filter { !box.keyIds.contains($0.key) }
    }

    /// Webhooks that `herald secrets rotate-key` would re-seal with `box`: those with a value
    /// sealed with another key, or in clear when `box` has a key (at most: a webhook may count
    /// under two keys).
    public func stale(for box: SecretBox) -> Int {
        sealed.filter { $0.key != box.current?.id }.values.reduce(0, +) + (box.current == nil ? 0 : clear)
    }

    /// The statement both stores count with: webhooks by the key id of each of their secret
    /// columns' values (NULL for a value in clear; absent values not counted). The prefix and
    /// positions are constants of this type, never input.
    public static let query: String = {
        let prefix = SecretBox.sealedPrefix
        let values = SecretColumns.names.map { "SELECT id, \($0) AS v FROM webhooks WHERE \($0) IS NOT NULL" }
        return """
            SELECT key_id, COUNT(DISTINCT id) AS n FROM (
                SELECT id, CASE WHEN substr(v, 1, \(prefix.count)) = '\(prefix)'
                    THEN substr(v, \(SecretBox.keyIdStart), \(SecretBox.keyIdLength)) END AS key_id
                FROM (\(values.joined(separator: " UNION ALL "))) AS stored) AS keyed
            GROUP BY key_id
            """
    }()
}
