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
        /// 16 hex digits of an HMAC of a fixed label under the key.
        public let id: String
        let key: Material

        /// A key from 32 bytes in base64 (standard or URL-safe alphabet, padding optional).
        public init(base64 text: String) throws(KeyProblem) {
            var normalized = text.trimmingCharacters(in: .whitespaces)
                .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            normalized += String(repeating: "=", count: (4 - normalized.count % 4) % 4)
            guard let bytes = Data(base64Encoded: normalized) else { throw .notBase64 }
            guard bytes.count == 32 else { throw .length(bytes.count) }
            // Random bytes have about 30 distinct values in 32; a key of a few repeated bytes was typed, not drawn.
            guard Set(bytes).count >= 16 else { throw .lowVariety }
            self.init(SymmetricKey(data: bytes))
        }

        init(_ key: SymmetricKey) {
            self.key = Material(key)
            let code = HMAC<SHA256>.authenticationCode(for: Data("herald sealing key id".utf8), using: key)
            var digits: [UInt8] = []
            Hex.append(Data(code).prefix(8), to: &digits)
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
            case .lowVariety: "has too few distinct bytes to be random; \(make)"
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

    /// Webhooks that `herald secrets rotate-key` would re-seal (clear ones only with a key to seal with).
    public func stale(for box: SecretBox) -> Int {
        guard let current = box.current else { return 0 }
        return sealed.filter { $0.key != current.id }.values.reduce(0, +) + clear
    }
}
