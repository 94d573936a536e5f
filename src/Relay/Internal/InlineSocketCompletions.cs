namespace FastSpinnRelay.Relay.Internal;

/// <summary>
/// Asks .NET's socket engine to run TCP completions on its epoll thread instead of handing each one to the thread pool
/// (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>). The engine reads the variable once, when the process's
/// first asynchronous socket operation starts, so a command calls <see cref="Prefer"/> before any. For commands whose
/// completions are all short and never block (slice frames, one sendmmsg, a non-blocking write); not for Kestrel's,
/// which run request handlers. A value the user set is kept.
/// </summary>
internal static class InlineSocketCompletions
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private static volatile bool s_setHere;

    /// <summary>
    /// True when <see cref="Prefer"/> set the variable in this process (the user did not). Processes this one starts
    /// must not inherit it (<c>relay bench</c>'s children, or the relays of tests that run commands in-process): each
    /// command decides for itself.
    /// </summary>
    public static bool SetHere => s_setHere;

    public static void Prefer()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
            s_setHere = true;
        }
    }
}
