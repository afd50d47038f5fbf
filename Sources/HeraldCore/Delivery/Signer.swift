import Crypto
import Foundation

/// Standard Webhooks signatures: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, keyed with the
/// base64-decoded bytes after `whsec_`.
public enum Signer {
    public static func signature(id: String, timestamp: Int64, body: Data, secret: String) -> String {
        let key = SymmetricKey(data: keyBytes(secret))
        var message = Data("\(id).\(timestamp).".utf8)
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: key)
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The `webhook-signature` header: one signature per secret, space-separated.
    public static func header(id: String, timestamp: Int64, body: Data, secrets: [String]) -> String {
        secrets.map { signature(id: id, timestamp: timestamp, body: body, secret: $0) }.joined(separator: " ")
    }

    /// Whether any signature in `header` was made with `secret` (constant-time compare).
    public static func verify(header: String, id: String, timestamp: Int64, body: Data, secret: String) -> Bool {
        let expected = signature(id: id, timestamp: timestamp, body: body, secret: secret)
        return header.split(separator: " ").contains { KeyMaterial.constantTimeEquals(String($0), expected) }
    }

    static func keyBytes(_ secret: String) -> Data {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        return Data(base64Encoded: encoded) ?? Data(encoded.utf8)
    }
}
