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

    public static void Prefer()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }
}
