namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>How the client proves itself (HELLO's auth method byte).</summary>
public enum TunnelAuthMethod : byte
{
    /// <summary>HMAC-SHA256 challenge-response over a pre-shared key, in both directions.</summary>
    PreSharedKey = 1,

    /// <summary>A TLS client certificate the transport has verified; the proofs are zeros and ignored.</summary>
    ClientCertificate = 2,
}
