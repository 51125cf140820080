import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

/** `subscribe:job`: a shortcut for `subscribe` to `job:{jobId}`. */
export class JobShortcutDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  jobId: string;
}
