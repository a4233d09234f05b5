// The numbers a callback may dial: the kernel's rule (digits, the queue's pattern).
export { acceptNumber } from '../../kernel/dialable';
