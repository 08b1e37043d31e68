public import HTTPTypes

extension HTTPField.Name {
    /// `Referrer-Policy`.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    /// `X-Frame-Options`.
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    /// `X-Forwarded-Proto`, set by a TLS-terminating proxy.
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    /// `X-Forwarded-For`, set by a proxy (trusted only when configured).
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    /// `Idempotency-Key`: the client's key for a write that may be retried.
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// `Idempotent-Replayed: true` on an answer replayed for a retried write.
    public static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
}
