using System.Security.Cryptography.X509Certificates;

namespace FastSpinnRelay.Relay.Internal;

/// <summary>A certificate and its private key from PEM text, ready for <c>SslStream</c> as a server or a client.</summary>
internal static class PemCertificate
{
    /// <summary>
    /// Loads <paramref name="certificatePem"/> with the private key in <paramref name="keyPem"/> (which may be the same
    /// text, when the key is in the certificate's file). The key PEM gives is ephemeral; it is re-imported through
    /// PKCS#12 so that SslStream can use it on every platform.
    /// </summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The text is not a certificate and its key.</exception>
    /// <exception cref="ArgumentException">No certificate or no key was found in the text.</exception>
    public static X509Certificate2 Load(string certificatePem, string keyPem)
    {
        using var pem = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
    }
}
