using System.Globalization;

namespace FastSpinnRelay.Relay.Spalloc.Server;

/// <summary>
/// What a server's token checks have refused, since it started: bearer tokens and form logins (the same secret).
/// <see cref="Throttled"/> and <see cref="RememberedWrong"/> are parts of <see cref="Refused"/>: the refusals that cost
/// no PBKDF2 check. Readable from any thread.
/// </summary>
public sealed class SpallocLoginCounters
{
    private long _refused;
    private long _throttled;
    private long _rememberedWrong;

    /// <summary>Logins refused for a bad token (or, in a form login, a bad user name), however that was decided.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Refused without a check because the address, or everyone together, had too many wrong tokens this minute.</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

    /// <summary>Refused without a check because the same wrong token had been checked before (recognised by its SHA-256).</summary>
    public long RememberedWrong => Interlocked.Read(ref _rememberedWrong);

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"logins refused: {Refused} ({Throttled} throttled without a check, {RememberedWrong} known wrong tokens)");

    internal void CountRefused() => Interlocked.Increment(ref _refused);

    internal void CountThrottled()
    {
        Interlocked.Increment(ref _throttled);
        CountRefused();
    }

    internal void CountRememberedWrong()
    {
        Interlocked.Increment(ref _rememberedWrong);
        CountRefused();
    }
}
