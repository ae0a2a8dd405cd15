/* x86-64 architectural constants and the KVM platform's guest memory map,
 * shared by the C code and the trampoline (tramp.S).
 *
 * References are to the Intel SDM, volume 3A (system programming), and
 * volume 1 for the XSAVE layout.
 */
#pragma once

/* Control registers (SDM 2.5). */
#define X86_CR0_PE (1 << 0)
#define X86_CR0_MP (1 << 1)
#define X86_CR0_ET (1 << 4)
#define X86_CR0_NE (1 << 5)
#define X86_CR0_WP (1 << 16)
#define X86_CR0_AM (1 << 18)
#define X86_CR0_PG (1UL << 31)

#define X86_CR4_PAE (1 << 5)
#define X86_CR4_PGE (1 << 7)
#define X86_CR4_OSFXSR (1 << 9)
#define X86_CR4_OSXMMEXCPT (1 << 10)
#define X86_CR4_UMIP (1 << 11)
#define X86_CR4_OSXSAVE (1 << 18)
#define X86_CR4_SMEP (1 << 20)
#define X86_CR4_SMAP (1 << 21)

/* IA32_EFER (SDM 2.2.1). */
#define X86_EFER_SCE (1 << 0)
#define X86_EFER_LME (1 << 8)
#define X86_EFER_LMA (1 << 10)
#define X86_EFER_NXE (1 << 11)

/* MSRs of SYSCALL/SYSRET and the segment bases (SDM 5.8.8, 3.4.4). */
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

/* RFLAGS (SDM 2.3). */
#define X86_RFLAGS_FIXED 0x2 /* bit 1 always reads as 1 */
#define X86_RFLAGS_TF 0x100
#define X86_RFLAGS_IF 0x200
#define X86_RFLAGS_DF 0x400
#define X86_RFLAGS_IOPL 0x3000
#define X86_RFLAGS_NT 0x4000
#define X86_RFLAGS_AC 0x40000
/* What the application may set: CF PF AF ZF SF TF DF OF RF AC ID, the
 * same set Linux lets ptrace and sigreturn change; never IOPL (port I/O is
 * how the guest talks to the sentry), never VM/VIF/VIP/NT. */
#define X86_RFLAGS_USER 0x250dd5
/* Cleared on `syscall` entry: TF IF DF IOPL NT AC, as Linux. */
#define X86_SFMASK                                                                                 \
	(X86_RFLAGS_TF | X86_RFLAGS_IF | X86_RFLAGS_DF | X86_RFLAGS_IOPL | X86_RFLAGS_NT |         \
	 X86_RFLAGS_AC)

/* 4-level paging entries (SDM 4.5, tables 4-15 to 4-20). */
#define PTE_P (1UL << 0)
#define PTE_W (1UL << 1)
#define PTE_U (1UL << 2)
#define PTE_A (1UL << 5)
#define PTE_D (1UL << 6)
#define PTE_PS (1UL << 7)
#define PTE_G (1UL << 8)
#define PTE_NX (1UL << 63)
#define PTE_ADDR 0x000ffffffffff000UL

/* Page-fault error code (SDM 4.7). */
#define PF_ERR_P (1 << 0)
#define PF_ERR_W (1 << 1)
#define PF_ERR_U (1 << 2)
#define PF_ERR_I (1 << 4)

/* Exception vectors (SDM 6.3.1, table 6-1). */
#define X86_DE 0
#define X86_DB 1
#define X86_NMI 2
#define X86_BP 3
#define X86_OF 4
#define X86_BR 5
#define X86_UD 6
#define X86_NM 7
#define X86_DF 8
#define X86_TS 10
#define X86_NP 11
#define X86_SS 12
#define X86_GP 13
#define X86_PF 14
#define X86_MF 16
#define X86_AC 17
#define X86_MC 18
#define X86_XM 19
#define X86_NVEC 32
/* Vectors that push an error code (SDM 6.13): DF TS NP SS GP PF AC CP VC SX. */
#define X86_ERRCODE_VECS 0x60227d00UL

/* GDT layout, Linux's (SDM 3.4.5; 5.8.8 for what SYSRET derives from
 * STAR[63:48] = 0x23: CS 0x33, SS 0x2b).  No 32-bit user code segment:
 * compatibility mode is not offered. */
#define SEL_KCS 0x10
#define SEL_KDS 0x18
#define SEL_UDS 0x2b
#define SEL_UCS 0x33
#define SEL_TSS 0x40
#define GDT_ENTRIES 10
/* Descriptors with the accessed bit preset, so the CPU never writes them. */
#define DESC_KCS 0x00af9b000000ffffUL /* 64-bit code, DPL 0 */
#define DESC_KDS 0x00cf93000000ffffUL /* data, DPL 0 */
#define DESC_UDS 0x00cff3000000ffffUL /* data, DPL 3 */
#define DESC_UCS 0x00affb000000ffffUL /* 64-bit code, DPL 3 */
#define TSS_TYPE_BUSY 0xb	      /* 64-bit TSS, busy (SDM 3.5, table 3-2) */
#define TSS_LIMIT 0x67		      /* 104-byte TSS, no I/O bitmap (SDM 8.7) */
#define TSS_RSP0 4		      /* offsets in the 64-bit TSS (SDM 8.7, figure 8-11) */
#define TSS_IST1 36
#define TSS_IOMAP 102
#define IDT_GATE_INTR 0xe /* 64-bit interrupt gate: IF cleared on entry (SDM 6.14.1) */

/* Guest physical memory:
 *   [0, MEMFILE_SIZE)      the memory file: guest physical address =
 *                          memory-file offset; registered as it grows, in
 *                          slots 0, 2, 3, ... of doubling size (kvm.c)
 *   [PRIV_GPA, +PRIV_SIZE) slot 1, the platform's own anonymous memory:
 *                          trampoline, GDT/IDT, per-vCPU pages, page tables */
#define MEMFILE_SIZE (64UL << 30)
#define PRIV_GPA MEMFILE_SIZE
#define PRIV_SIZE (1UL << 30)

/* Layout of the private slot (offsets from PRIV_GPA).  The whole slot is
 * mapped at KBASE + offset in every address space, supervisor-only and
 * global, except the one user page: [0, PRIV_TABLES) with 4 KiB pages,
 * the table pool with 2 MiB pages (the trampoline writes page tables). */
#define PRIV_TRAMP 0x0000  /* trampoline code, read + execute */
#define PRIV_UTRAMP 0x1000 /* the `syscall` target, user-executable (see tramp.S) */
#define PRIV_GDT 0x2000	   /* GDT at +0, IDT at +0x800 */
#define PRIV_IDT 0x2800
#define PRIV_OPS 0x3000			    /* page-table writes for the trampoline to apply */
#define OPS_MAX 4096			    /* 16-byte ops: 16 pages */
#define PRIV_VCPU (PRIV_OPS + OPS_MAX * 16) /* one page per vCPU: TSS, stack top at +0x1000 */
#define VCPU_MAX 1024
#define PRIV_KMAPPED (PRIV_VCPU + VCPU_MAX * 0x1000)
#define PRIV_TABLES 0x800000 /* 2 MiB aligned: kernel tables, then the table pool */

/* The kernel half: PML4 slot 511, shared by every address space. */
#define KBASE 0xffffff8000000000UL
#define KPML4_INDEX 511

/* Highest application address + 1: Linux's TASK_SIZE. */
#define KVM_MAX_ADDR 0x7ffffffff000UL

/* I/O ports the trampoline writes to leave the guest (kvm_run->io.port). */
#define PORT_SYSCALL 0x10
#define PORT_VEC 0x20	  /* + vector */
#define PORT_APPLIED 0x11 /* the trampoline applied the op list */

/* Frames at the top of the vCPU page (offsets from the stack top).  The
 * entry frame is written by the sentry; IST1 = stack top, so an exception
 * frame always sits at the same place (SDM 6.14.5). */
#define FRAME_IRET (-40) /* rip cs rflags rsp ss */
#define FRAME_FULL (-88) /* cr3 fs_base gs_base rax rcx rdx, then the iret frame */
#define FRAME_EXC (-40)	 /* exception frame without error code */
#define FRAME_EXC_ERR (-48)
#define FRAME_CR2 (-64) /* the #PF stub pushes rax, then cr2 */
