import Crypto
import Foundation

/// An independent implementation of Standard Webhooks verification, written from the spec for the
/// tests (it shares no code with Herald's signer).
enum StandardWebhooksVerifier {
    enum Failure: Error, Equatable {
        case missingHeaders
        case staleTimestamp
        case noMatchingSignature
    }

    static func verify(id: String?, timestamp: String?, signatures: String?, body: Data, secret: String) throws {
        guard let id, let timestamp, let signatures, let seconds = Int(timestamp) else { throw Failure.missingHeaders }
        guard abs(Date().timeIntervalSince1970 - Double(seconds)) < 300 else { throw Failure.staleTimestamp }
        var keyText = secret
        if keyText.hasPrefix("whsec_") { keyText.removeFirst("whsec_".count) }
        let key = SymmetricKey(data: Data(base64Encoded: keyText)!)
        let signed = Data("\(id).\(timestamp).".utf8) + body
        let expected = Data(HMAC<SHA256>.authenticationCode(for: signed, using: key)).base64EncodedString()
        let matches = signatures.split(separator: " ").contains { entry in
            let parts = entry.split(separator: ",", maxSplits: 1)
            return parts.count == 2 && parts[0] == "v1" && parts[1] == expected
        }
        guard matches else { throw Failure.noMatchingSignature }
    }

    static func verify(_ request: TestReceiver.Received, secret: String) throws {
        try verify(
            id: request.header("webhook-id"), timestamp: request.header("webhook-timestamp"),
            signatures: request.header("webhook-signature"), body: request.body, secret: secret)
    }
}
