using System.Buffers;
using System.Globalization;
using System.Net;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Host;
using Microsoft.AspNetCore.Http;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// <c>jobs/{id}/memory</c>, through which spinnman's SpallocTransceiver reads and writes all board memory
/// (protocols.md §7.1): <c>GET ?x=&amp;y=&amp;address=&amp;size=</c> answers the bytes, <c>POST ?x=&amp;y=&amp;address=</c> writes
/// the body (application/octet-stream) and answers 202. The server does the SCP READs and WRITEs itself, 256 bytes
/// each with up to 8 in flight, to the board of the job that holds chip (x, y) (job-relative), in blocks of 64 KiB:
/// memory use is one block per transfer whatever the size, and a read streams its answer.
/// </summary>
internal sealed partial class SpallocHttpApi
{
    /// <summary>Largest read or write: a SpiNN-5 chip's 128 MiB of SDRAM.</summary>
    public const int MaxMemoryTransferBytes = 128 << 20;

    /// <summary>Transfers under way at once over all users; more wait (at most <see cref="MemoryQueueLimit"/>), then get 503.</summary>
    public const int MaxMemoryTransfers = 8;

    private const int MemoryBlockBytes = 64 << 10;
    private static readonly TimeSpan MemoryQueueLimit = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _memoryTransfers = new(MaxMemoryTransfers, MaxMemoryTransfers);
    private readonly LogLimiter _memoryWarnings = new(5, TimeSpan.FromSeconds(10));

    /// <summary>What <c>jobs/{id}/memory</c> has done.</summary>
    public SpallocMemoryCounters Memory { get; } = new();

    /// <summary><c>GET jobs/{id}/memory?x=&amp;y=&amp;address=&amp;size=</c>: the bytes, streamed (200, application/octet-stream).</summary>
    private async Task ReadMemoryAsync(HttpContext context, SpallocUser user, Job job)
    {
        if (await MemoryTargetAsync(context, job, write: false).ConfigureAwait(false) is not { } target)
        {
            return;
        }

        var block = ArrayPool<byte>.Shared.Rent(MemoryBlockBytes);
        long done = 0;
        try
        {
            using var window = new ScpWindow(target.Board);
            while (done < target.Size)
            {
                var n = (int)Math.Min(MemoryBlockBytes, target.Size - done);
                var problem = StillHeld(job, target) ?? Transfer(window, target, done, block.AsMemory(0, n), write: false);
                if (problem is not null)
                {
                    await MemoryFailedAsync(context, user, job, target, done, problem).ConfigureAwait(false);
                    return;
                }

                if (done == 0)
                {
                    context.Response.StatusCode = StatusCodes.Status200OK;
                    context.Response.ContentType = "application/octet-stream";
                    context.Response.ContentLength = target.Size;
                }

                await context.Response.Body.WriteAsync(block.AsMemory(0, n), context.RequestAborted).ConfigureAwait(false);
                done += n;
            }

            Memory.Read(done);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            Memory.PartlyDone(write: false, done); // the client went away
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
            _memoryTransfers.Release();
        }
    }

    /// <summary><c>POST jobs/{id}/memory?x=&amp;y=&amp;address=</c> with the bytes as the body: written in order; 202 when all are.</summary>
    private async Task WriteMemoryAsync(HttpContext context, SpallocUser user, Job job)
    {
        if (context.Request.ContentLength is > MaxMemoryTransferBytes)
        {
            Memory.RefusedOne();
            await Text(context, StatusCodes.Status413PayloadTooLarge, $"a memory write is at most {MaxMemoryTransferBytes} bytes").ConfigureAwait(false);
            return;
        }

        if (await MemoryTargetAsync(context, job, write: true).ConfigureAwait(false) is not { } target)
        {
            return;
        }

        LimitBody(context, MaxMemoryTransferBytes);
        var block = ArrayPool<byte>.Shared.Rent(MemoryBlockBytes);
        long done = 0;
        try
        {
            using var window = new ScpWindow(target.Board);
            while (true)
            {
                var n = await context.Request.Body.ReadAtLeastAsync(block.AsMemory(0, MemoryBlockBytes), MemoryBlockBytes, throwOnEndOfStream: false, context.RequestAborted)
                    .ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                var problem = target.Address + done + n > 1L << 32
                    ? new MemoryProblem(StatusCodes.Status400BadRequest, $"the data runs past the end of the 32-bit address space (address 0x{target.Address:X8})")
                    : StillHeld(job, target) ?? Transfer(window, target, done, block.AsMemory(0, n), write: true);
                if (problem is not null)
                {
                    await MemoryFailedAsync(context, user, job, target, done, problem).ConfigureAwait(false);
                    return;
                }

                done += n;
            }

            Memory.Written(done);
            context.Response.StatusCode = StatusCodes.Status202Accepted;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            Memory.PartlyDone(write: true, done); // the client went away
        }
        catch (BadHttpRequestException)
        {
            Memory.PartlyDone(write: true, done); // a body past the limit: HandleAsync answers 413
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
            _memoryTransfers.Release();
        }
    }

    /// <summary>
    /// Checks the query and the job, then takes one of the <see cref="MaxMemoryTransfers"/> slots (the caller releases
    /// it); null when refused (the answer is written).
    /// </summary>
    private async Task<MemoryTarget?> MemoryTargetAsync(HttpContext context, Job job, bool write)
    {
        var allocation = HeldBoards(job, out var problem);
        var status = problem is null ? StatusCodes.Status400BadRequest : StatusCodes.Status409Conflict;
        var query = context.Request.Query;
        var x = 0L;
        var y = 0L;
        var address = 0L;
        var size = 0L;
        problem ??= QueryNumber(query, "x", 0, Math.Min(allocation!.WidthChips, 256) - 1, required: false, ref x)
            ?? QueryNumber(query, "y", 0, Math.Min(allocation.HeightChips, 256) - 1, required: false, ref y)
            ?? QueryNumber(query, "address", 0, uint.MaxValue, required: true, ref address)
            ?? (write ? null : QueryNumber(query, "size", 1, MaxMemoryTransferBytes, required: true, ref size))
            ?? (address + size > 1L << 32 ? $"address 0x{address:X8} + size {size} runs past the end of the 32-bit address space" : null)
            ?? (write && context.Request.ContentLength is { } length && address + length > 1L << 32
                ? $"address 0x{address:X8} + {length} bytes of data runs past the end of the 32-bit address space"
                : null);
        if (problem is not null)
        {
            Memory.RefusedOne();
            await Text(context, status, problem).ConfigureAwait(false);
            return null;
        }

        if (!await TakeBoardSlotAsync(context).ConfigureAwait(false))
        {
            return null;
        }

        var board = allocation!.BoardForChip((int)x, (int)y);
        return new MemoryTarget(allocation, new IPEndPoint(board.Address, _options.BoardScpPort), (byte)x, (byte)y, address, size);
    }

    /// <summary>
    /// Takes one of the <see cref="MaxMemoryTransfers"/> slots for work on boards (the caller releases it); false, with
    /// 503 answered and counted, when none frees up within <see cref="MemoryQueueLimit"/>.
    /// </summary>
    private async Task<bool> TakeBoardSlotAsync(HttpContext context)
    {
        if (await _memoryTransfers.WaitAsync(MemoryQueueLimit, context.RequestAborted).ConfigureAwait(false))
        {
            return true;
        }

        Memory.RefusedOne();
        context.Response.Headers.RetryAfter = "1";
        await Text(context, StatusCodes.Status503ServiceUnavailable, $"{MaxMemoryTransfers} memory transfers or routing resets are under way; try again").ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// One query parameter as an integer in [<paramref name="min"/>, <paramref name="max"/>]; null when good (or absent
    /// and not required: <paramref name="value"/> keeps its default), else the problem.
    /// </summary>
    private static string? QueryNumber(IQueryCollection query, string name, long min, long max, bool required, ref long value)
    {
        var values = query[name];
        if (values.Count == 0)
        {
            return required ? $"the query parameter {name} is required" : null;
        }

        var text = values.Count == 1 ? values[0] ?? "" : "";
        if (values.Count > 1 || !long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) || parsed < min || parsed > max)
        {
            return $"{name} must be one integer from {min} to {max}, not '{Log.Escape(values.ToString(), 40)}'";
        }

        value = parsed;
        return null;
    }

    /// <summary>The boards <paramref name="job"/> holds now; null, with why, when it holds none (queued or destroyed).</summary>
    private JobAllocation? HeldBoards(Job job, out string? problem)
    {
        var snapshot = _jobs.Snapshot(job);
        var held = snapshot is { State: not JobState.Destroyed, Allocation: { } allocation } ? allocation : null;
        problem = held is null ? $"job {job.Id} has no boards ({snapshot.State.ToString().ToUpperInvariant()})" : null;
        return held;
    }

    /// <summary>Null while the job still holds the boards the transfer started on; else why it must stop.</summary>
    private MemoryProblem? StillHeld(Job job, MemoryTarget target) =>
        ReferenceEquals(HeldBoards(job, out _), target.Allocation)
            ? null
            : new MemoryProblem(StatusCodes.Status409Conflict, $"job {job.Id} lost its boards during the transfer");

    /// <summary>One block through the window; null when done, else the board's failure as a 504 (no answer) or 502.</summary>
    private static MemoryProblem? Transfer(ScpWindow window, MemoryTarget target, long offset, Memory<byte> block, bool write)
    {
        try
        {
            var address = (uint)(target.Address + offset);
            if (write)
            {
                window.Write(target.X, target.Y, address, block);
            }
            else
            {
                window.Read(target.X, target.Y, address, block);
            }

            return null;
        }
        catch (ScpClientException ex)
        {
            return BoardProblem(ex);
        }
    }

    /// <summary>A board's failure as the answer: 504 when it did not answer, 502 for an error answer or a malformed one.</summary>
    private static MemoryProblem BoardProblem(ScpClientException ex) =>
        new(ex.Failure == ScpFailure.Timeout ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway, ex.Message);

    /// <summary>
    /// Answers a failure with its status and text while nothing is sent yet; a read already streaming can only be cut
    /// (the client sees fewer bytes than Content-Length). Counted, and logged (rate-limited: a client can cause it).
    /// </summary>
    private async Task MemoryFailedAsync(HttpContext context, SpallocUser user, Job job, MemoryTarget target, long done, MemoryProblem problem)
    {
        var write = HttpMethods.IsPost(context.Request.Method);
        Memory.PartlyDone(write, done);
        _memoryWarnings.Write(LogLevel.Warning, ProxyHub.Component, string.Create(CultureInfo.InvariantCulture,
            $"job {job.Id} ({user.Name}): memory {(write ? "write" : "read")} at chip ({target.X}, {target.Y}) 0x{target.Address:X8} stopped after {done} bytes: {problem.Text}"));

        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        var partly = done > 0 ? string.Create(CultureInfo.InvariantCulture, $" (the first {done} bytes were written)") : "";
        await Text(context, problem.Status, problem.Text + partly).ConfigureAwait(false);
    }

    /// <summary>Where a transfer goes: the job's boards when it started, the board holding the chip, and what was asked.</summary>
    private sealed record MemoryTarget(JobAllocation Allocation, IPEndPoint Board, byte X, byte Y, long Address, long Size);

    private sealed record MemoryProblem(int Status, string Text);
}
