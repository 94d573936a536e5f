namespace FastSpinnRelay.Tunnel.Tests.TestSupport;

/// <summary>
/// Waits with a generous upper bound, so a broken test fails instead of hanging. The bound is a watchdog, not a
/// timing requirement: nothing asserts how fast anything happens.
/// </summary>
internal static class Bounded
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    public static async Task Until(Func<bool> condition, string what, Func<string>? state = null)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"gave up waiting for {what}{(state is null ? "" : ": " + state())}");
            }

            await Task.Delay(5);
        }
    }

    public static async Task<T> Wait<T>(Task<T> task, string what)
    {
        if (await Task.WhenAny(task, Task.Delay(Limit)) != task)
        {
            Assert.Fail($"gave up waiting for {what}");
        }

        return await task;
    }

    public static async Task Wait(Task task, string what)
    {
        if (await Task.WhenAny(task, Task.Delay(Limit)) != task)
        {
            Assert.Fail($"gave up waiting for {what}");
        }

        await task;
    }
}
