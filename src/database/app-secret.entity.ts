import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Secrets every instance must share (the generated JWT secret), kept in the database rather than on one disk. */
@Entity({ name: 'app_secrets' })
export class AppSecret {
  @PrimaryColumn({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  value: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
