namespace FastSpinnRelay.Relay.Spalloc.Server;

/// <summary>
/// The TLS certificate (or its key) given to the server cannot be loaded: a configuration problem the administrator
/// must fix, so `relay spalloc serve` stops with exit code 2 (as for bad flags) rather than 3 (a socket that may bind
/// later).
/// </summary>
public sealed class SpallocCertificateException(string message, Exception? inner = null) : Exception(message, inner);
