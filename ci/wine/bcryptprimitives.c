/*
 * bcryptprimitives.dll for Wine, test use only.
 *
 * Go's Windows runtime (Go 1.24 and later) gets its random bytes from
 * ProcessPrng in bcryptprimitives.dll and refuses to start without it
 * ("fatal error: bcryptprimitives.dll not found"). Wine 8 has no such DLL,
 * so CI's smoke test (run-smoke.sh) builds this one with mingw-w64 and puts
 * it in the Wine prefix's system32. It takes the bytes from advapi32's
 * SystemFunction036 (RtlGenRandom), which Wine implements with the host's
 * random source. It is never shipped: on Windows the real DLL is used.
 */
#include <windows.h>

/* RtlGenRandom; ntsecapi.h only names it through a macro. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* ProcessPrng fills data with len random bytes; it always returns TRUE on
 * Windows, and here TRUE unless RtlGenRandom fails. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, chunk))
			return FALSE;
		data += chunk;
		len -= chunk;
	}
	return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
	(void)instance;
	(void)reason;
	(void)reserved;
	return TRUE;
}
