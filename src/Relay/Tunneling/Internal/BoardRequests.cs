namespace FastSpinnRelay.Relay.Tunneling.Internal;

/// <summary>
/// Runs work that waits for the board (an IP tag set, read back or cleared: <see cref="Host.ScpClient"/> blocks up to 1 s a
/// try, 3 tries) on a thread of its own. On the thread pool, a few such waits on a board that does not answer would hold
/// every pool thread of a small machine for seconds, and with them every session's tunnel work.
/// </summary>
internal static class BoardRequests
{
    public static Task Run(Action work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
}
